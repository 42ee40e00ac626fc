/**
 * The file formats, each read without trusting the file: artefact folders (checksummed manifest
 * and parameter file, atomic saves), strict JSON, config codecs, safetensors and the Hugging Face
 * GPT-2 folder. Not API: exported to soe-data only, and may change in any release; users save,
 * load and export through {@code SoupOfExperts}, {@code DenseModel} and {@code Specialist}.
 */
package org.soupofexperts.core.io.internal;
