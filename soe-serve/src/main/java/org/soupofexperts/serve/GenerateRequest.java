package org.soupofexperts.serve;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.Generation;
import org.soupofexperts.data.generate.TextGenerator;

/**
 * The body of a generation request: {@code {"documents": [text, ...], "prompt": text,
 * "maxNewTokens": n, "temperature": t, "topK": k, "topP": p, "seed": s, "stop": [text, ...],
 * "stream": b}},
 * read by the same strict streaming parser as {@link DocumentsRequest}: the documents choose the
 * specialist (their domain weights), the prompt is continued; every field but {@code documents}
 * and {@code prompt} is optional (greedy, 64 new tokens, no stop sequence, one JSON answer rather
 * than a stream of lines). Immutable.
 */
record GenerateRequest(
        List<String> documents, String prompt, Generation generation, List<String> stop, boolean stream) {

    private static final int DEFAULT_NEW_TOKENS = 64;

    /**
     * Parses a UTF-8 JSON body.
     *
     * @throws HttpError 400 naming what is wrong with the body
     */
    static GenerateRequest parse(byte[] body, int maxDocuments) {
        String text = DocumentsRequest.utf8(body);
        List<String> documents = null;
        List<String> stop = List.of();
        String prompt = null;
        int maxNew = DEFAULT_NEW_TOKENS;
        double temperature = 0;
        int topK = 0;
        double topP = 1;
        long seed = 0;
        boolean stream = false;
        try (JsonReader in = new JsonReader(new StringReader(text))) {
            in.setStrictness(Strictness.STRICT);
            DocumentsRequest.expect(in, JsonToken.BEGIN_OBJECT, "the body must be a JSON object " + SHAPE);
            in.beginObject();
            List<String> seen = new ArrayList<>();
            while (in.hasNext()) {
                String name = in.nextName();
                if (seen.contains(name)) {
                    throw HttpError.badRequest("field '" + name + "' appears twice");
                }
                seen.add(name);
                switch (name) {
                    case "documents" -> documents = DocumentsRequest.documents(in, maxDocuments, "documents");
                    case "stop" -> stop = DocumentsRequest.documents(in, TextGenerator.MAX_STOPS, "stop");
                    case "prompt" -> prompt = string(in, name);
                    case "maxNewTokens" -> maxNew = integer(in, name);
                    case "temperature" -> temperature = number(in, name);
                    case "topK" -> topK = integer(in, name);
                    case "topP" -> topP = number(in, name);
                    case "seed" -> seed = (long) number(in, name);
                    case "stream" -> stream = bool(in, name);
                    default ->
                        throw HttpError.badRequest(
                                "unknown field '" + DocumentsRequest.shorten(name) + "': the body is " + SHAPE);
                }
            }
            in.endObject();
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw HttpError.badRequest("unexpected content after the JSON object");
            }
        } catch (MalformedJsonException | IllegalStateException | EOFException | NumberFormatException e) {
            throw HttpError.badRequest(
                    "the body is not valid JSON: " + DocumentsRequest.shorten(String.valueOf(e.getMessage())));
        } catch (IOException e) {
            throw HttpError.badRequest(
                    "the body could not be read as JSON: " + DocumentsRequest.shorten(String.valueOf(e.getMessage())));
        }
        if (documents == null || documents.isEmpty() || prompt == null) {
            throw HttpError.badRequest("'documents' (at least one) and 'prompt' are required: the body is " + SHAPE);
        }
        Generation g;
        try {
            g = new Generation(maxNew, temperature, topK, topP, seed);
            // The generator's own rules, checked before any work on the request.
            stop = TextGenerator.checkStops(stop);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        return new GenerateRequest(documents, prompt, g, stop, stream);
    }

    private static final String SHAPE = "{\"documents\": [text, ...], \"prompt\": text, \"maxNewTokens\": n,"
            + " \"temperature\": t, \"topK\": k, \"topP\": p, \"seed\": s, \"stop\": [text, ...], \"stream\": b}";

    private static String string(JsonReader in, String name) throws IOException {
        DocumentsRequest.expect(in, JsonToken.STRING, "'" + name + "' must be a string");
        return in.nextString();
    }

    private static boolean bool(JsonReader in, String name) throws IOException {
        DocumentsRequest.expect(in, JsonToken.BOOLEAN, "'" + name + "' must be true or false");
        return in.nextBoolean();
    }

    private static double number(JsonReader in, String name) throws IOException {
        DocumentsRequest.expect(in, JsonToken.NUMBER, "'" + name + "' must be a number");
        double v = in.nextDouble();
        if (!Double.isFinite(v)) {
            throw HttpError.badRequest("'" + name + "' must be finite");
        }
        return v;
    }

    private static int integer(JsonReader in, String name) throws IOException {
        double v = number(in, name);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw HttpError.badRequest("'" + name + "' must be an integer, got " + v);
        }
        return (int) v;
    }
}
