package org.soupofexperts.core.archfixture.cycle.a;

import org.soupofexperts.core.archfixture.cycle.b.B;

/** Half of a deliberate package cycle (a -> b -> a) that the layering rules must reject. */
public class A {
    public B b() {
        return new B();
    }
}
