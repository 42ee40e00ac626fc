/**
 * The file formats, each read without trusting the file: artefact folders (checksummed manifest
 * and parameter file, atomic saves), strict JSON, config codecs, safetensors, the Hugging Face
 * GPT-2 folder, a manifest's attachments and the checks of freshly read parameter tensors. Not
 * API: exported to soe-data only, and may change in any release; users save, load and export
 * through {@code SoupOfExperts}, {@code DenseModel} and {@code Specialist}.
 */
package org.soupofexperts.core.io.internal;
