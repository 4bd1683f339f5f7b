package org.abscert.certifier.clarke;

import java.io.OutputStream;
import java.io.PrintStream;

/** Loads ojAlgo once, quietly: the LP solver that proposes directions, multipliers and zonotope points. */
final class Solver {
    private Solver() {}

    static {
        // ojAlgo announces its hardware-profile guess on System.out when OjAlgoUtils first loads, which would
        // corrupt a JSON document on standard output; load it once here with standard output held back.
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            Class.forName("org.ojalgo.OjAlgoUtils", true, Solver.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        } finally {
            System.setOut(out);
        }
    }

    /** Runs the static initialiser (once). */
    static void load() {}
}
