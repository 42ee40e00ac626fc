/**
 * What users meet of the library's files: {@code SoupFormatException} (a file that is not what it
 * claims), {@code ArtifactConflictException}, {@code Dtype} (how exported tensors are stored),
 * {@code AtomicFile} (the one atomic write and rename), {@code NewFolder}, {@code BoundedRead} and
 * {@code Version}. The formats themselves, each read without trusting the file (artefact folders,
 * strict JSON, config codecs, safetensors, the Hugging Face GPT-2 folder), are in {@code
 * io.internal}, exported to soe-data only.
 */
package org.soupofexperts.core.io;
