/**
 * A synthetic multi-domain corpus, so tests and the built-in demo need no data files.
 */
package org.soupofexperts.data.synth;
