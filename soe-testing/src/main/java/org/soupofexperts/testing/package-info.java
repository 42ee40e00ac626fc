/**
 * Test fixtures shared by every module's tests, at test scope: the ArchUnit layering and memory
 * rules, a JSON mutator and a report for fault-injection tests. A module of its own that depends on
 * no other module of the project, so that no module's tests need another module's test-jar (a
 * test-jar does not exist at {@code compile}, which broke {@code compile exec:java} on a fresh
 * machine).
 */
package org.soupofexperts.testing;
