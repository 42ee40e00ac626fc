/** soe-serve: an HTTP endpoint that turns documents into a specialist's answers (Jetty). */
module org.soupofexperts.serve {
    requires transitive org.soupofexperts.data;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.http;
    requires org.eclipse.jetty.io;
    requires org.eclipse.jetty.util;
    requires com.google.gson;
    requires org.slf4j;
    requires transitive micrometer.core;
    requires micrometer.registry.prometheus;

    exports org.soupofexperts.serve;
}
