package org.soupofexperts.core.archfixture.cycle.b;

import org.soupofexperts.core.archfixture.cycle.a.A;

/** The other half of the deliberate package cycle. */
public class B {
    public A a() {
        return new A();
    }
}
