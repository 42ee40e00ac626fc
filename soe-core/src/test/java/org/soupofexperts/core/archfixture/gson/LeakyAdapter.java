package org.soupofexperts.core.archfixture.gson;

import com.google.gson.JsonDeserializationContext;
import com.google.gson.JsonDeserializer;
import com.google.gson.JsonElement;
import java.lang.reflect.Type;

/** A public type that is a Gson type itself (implements its interface): a violation of the rule. */
public class LeakyAdapter implements JsonDeserializer<String> {

    @Override
    public String deserialize(JsonElement json, Type type, JsonDeserializationContext context) {
        return json.getAsString();
    }
}
