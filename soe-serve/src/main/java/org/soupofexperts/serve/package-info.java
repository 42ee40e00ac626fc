/**
 * An HTTP endpoint that scores documents with specialists instantiated on demand, with limits on
 * bodies, headers, connections, queue and time, for running inside a service.
 */
package org.soupofexperts.serve;
