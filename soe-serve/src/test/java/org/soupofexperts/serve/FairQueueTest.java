package org.soupofexperts.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FairQueueTest {

    private static final class Named implements Runnable {
        final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public void run() {}

        @Override
        public String toString() {
            return name;
        }
    }

    private static Runnable task(String client, String name) {
        return new FairQueue.ClientTask(client, new Named(name));
    }

    private static String name(Runnable r) {
        return ((FairQueue.ClientTask) r).task().toString();
    }

    @Test
    void clientsAreServedInTurnNotInArrivalOrder() throws Exception {
        FairQueue q = new FairQueue(10);
        // A flooding client queues three before another client's one arrives.
        for (String t : List.of("a1", "a2", "a3")) {
            assertTrue(q.offer(task("10.0.0.1", t)));
        }
        assertTrue(q.offer(task("10.0.0.2", "b1")));
        assertTrue(q.offer(task("10.0.0.3", "c1")));
        assertEquals(5, q.size());
        List<String> iterated = new ArrayList<>();
        q.forEach(r -> iterated.add(name(r)));
        List<String> served = new ArrayList<>();
        while (!q.isEmpty()) {
            served.add(name(q.take()));
        }
        // b1 waits for one of a's, not three.
        assertEquals(List.of("a1", "b1", "c1", "a2", "a3"), served);
        assertEquals(served, iterated, "iteration shows the serving order");
        assertNull(q.poll(1, TimeUnit.MILLISECONDS));
    }

    @Test
    void theCapacityBoundsAllClientsTogetherAndRemoveKeepsTheCount() {
        FairQueue q = new FairQueue(2);
        Runnable a = task("x", "a");
        assertTrue(q.offer(a));
        assertTrue(q.offer(task("y", "b")));
        assertFalse(q.offer(task("z", "c")), "full: the executor answers 503");
        assertEquals(0, q.remainingCapacity());
        assertTrue(q.remove(a));
        assertEquals(1, q.size());
        assertEquals("b", name(q.peek()));
        List<Runnable> drained = new ArrayList<>();
        assertEquals(1, q.drainTo(drained));
        assertTrue(q.isEmpty());
    }
}
