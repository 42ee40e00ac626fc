package org.soupofexperts.serve;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of a scoring request, {@code {"documents": ["text", ...]}}, read by a streaming parser
 * that accepts exactly that shape: nesting never goes deeper than two levels (no recursion, so no
 * stack overflow from a hostile body), unknown fields and non-string documents are refused, and
 * the number of documents is bounded. Stateless; thread-safe.
 */
final class DocumentsRequest {

    private DocumentsRequest() {}

    /**
     * The documents of a UTF-8 JSON body.
     *
     * @throws HttpError 400 naming what is wrong with the body
     */
    static List<String> parse(byte[] body, int maxDocuments) {
        String text = utf8(body);
        List<String> documents = null;
        try (JsonReader in = new JsonReader(new StringReader(text))) {
            in.setStrictness(Strictness.STRICT);
            expect(in, JsonToken.BEGIN_OBJECT, "the body must be a JSON object {\"documents\": [text, ...]}");
            in.beginObject();
            while (in.hasNext()) {
                String name = in.nextName();
                if (!name.equals("documents")) {
                    throw HttpError.badRequest(
                            "unknown field '" + shorten(name) + "': the body is {\"documents\": [text, ...]}");
                }
                if (documents != null) {
                    throw HttpError.badRequest("field 'documents' appears twice");
                }
                documents = documents(in, maxDocuments);
            }
            in.endObject();
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw HttpError.badRequest("unexpected content after the JSON object");
            }
        } catch (MalformedJsonException | IllegalStateException | EOFException e) {
            throw HttpError.badRequest("the body is not valid JSON: " + shorten(String.valueOf(e.getMessage())));
        } catch (IOException e) {
            throw HttpError.badRequest(
                    "the body could not be read as JSON: " + shorten(String.valueOf(e.getMessage())));
        }
        if (documents == null) {
            throw HttpError.badRequest("missing field 'documents': the body is {\"documents\": [text, ...]}");
        }
        if (documents.isEmpty()) {
            throw HttpError.badRequest("'documents' is empty: send at least one document");
        }
        return documents;
    }

    /** The body as text; 400 unless it is valid UTF-8. */
    static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw HttpError.badRequest("the body is not valid UTF-8");
        }
    }

    private static List<String> documents(JsonReader in, int maxDocuments) throws IOException {
        return documents(in, maxDocuments, "documents");
    }

    /** An array of at most {@code max} strings, the field named {@code field} in messages. */
    static List<String> documents(JsonReader in, int max, String field) throws IOException {
        expect(in, JsonToken.BEGIN_ARRAY, "'" + field + "' must be an array of strings");
        in.beginArray();
        List<String> docs = new ArrayList<>();
        while (in.hasNext()) {
            if (docs.size() == max) {
                throw HttpError.badRequest("more than " + max + " " + field + " in one request");
            }
            expect(
                    in,
                    JsonToken.STRING,
                    (field.equals("documents") ? "document " : field + " entry ") + docs.size() + " is not a string");
            docs.add(in.nextString());
        }
        in.endArray();
        return docs;
    }

    static void expect(JsonReader in, JsonToken token, String message) throws IOException {
        if (in.peek() != token) {
            throw HttpError.badRequest(message);
        }
    }

    /** Echoes of client input are cut short, so an error message cannot be made arbitrarily large. */
    static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
