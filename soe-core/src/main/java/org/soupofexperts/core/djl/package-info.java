/**
 * A specialist as a DJL model folder: the export, and the block and translator factories through
 * which DJL's {@code Criteria} and DJL Serving load it.
 */
package org.soupofexperts.core.djl;
