/**
 * File formats, each read without trusting the file: artefact folders (checksummed manifest and
 * parameter file, atomic saves), strict JSON, config codecs, safetensors, and the Hugging Face
 * GPT-2 folder.
 */
package org.soupofexperts.core.io;
