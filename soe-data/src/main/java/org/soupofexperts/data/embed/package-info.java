/**
 * Document embedders for the domain histogram: hashed character n-grams (no dependency), MiniLM
 * (ONNX, optional dependency) and any DJL sentence-embedding model.
 */
package org.soupofexperts.data.embed;
