/**
 * Internals shared by this library's modules (engine start, scalars in engine memory, seed
 * streams); not an API: anything here may change without notice.
 */
package org.soupofexperts.core.internal;
