/**
 * Test fixtures shared by every module's tests through the soe-core test-jar: the ArchUnit
 * layering and memory rules, a JSON mutator and a report for fault-injection tests. Their own
 * package, so that tests of modules with a module descriptor see them on the class path.
 */
package org.soupofexperts.testing;
