package org.soupofexperts.serve;

import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors (a malformed request line: 400; headers too large: 431; and any other it
 * answers itself) as the server's JSON {@code {"status": code, "error": message}}, never HTML.
 * Stateless; thread-safe.
 */
final class JsonErrors extends ErrorHandler {

    private static final String JSON = "application/json; charset=utf-8";

    static String body(int status, String message) {
        JsonObject o = new JsonObject();
        o.addProperty("status", status);
        o.addProperty("error", message == null || message.isBlank() ? HttpStatus.getMessage(status) : message);
        return o.toString();
    }

    @Override
    protected void generateResponse(
            Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
        Content.Sink.write(response, true, body(code, message), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, JSON));
        return ByteBuffer.wrap(body(status, reason).getBytes(StandardCharsets.UTF_8));
    }
}
