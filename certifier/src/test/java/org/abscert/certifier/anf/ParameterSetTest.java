package org.abscert.certifier.anf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;

/**
 * The dependency sets of {@link Program}: exact against a bit set while they fit in {@link ParameterSet#MAX_RUNS}
 * runs, never missing a dependency beyond that, and linear in memory on deep networks (one bit set per slot
 * took gigabytes for 100,000 layers).
 */
class ParameterSetTest {

    @Test
    void unionsAgreeWithBitSetsWhileTheyFitAndNeverMissAMemberAfterwards() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 2000; trial++) {
            ParameterSet s = ParameterSet.EMPTY;
            BitSet ref = new BitSet();
            int adds = 1 + rnd.nextInt(80);
            for (int k = 0; k < adds; k++) {
                ParameterSet t = ParameterSet.EMPTY;
                int n = 1 + rnd.nextInt(4);
                for (int j = 0; j < n; j++) {
                    int slot = rnd.nextInt(200);
                    t = t.union(ParameterSet.of(slot));
                    ref.set(slot);
                }
                s = s.union(t);
            }
            assertFalse(s.isEmpty());
            for (int slot = 0; slot < 210; slot++) {
                if (ref.get(slot)) assertTrue(s.get(slot), "missed " + slot + " in " + s);
                else if (s.exact()) assertFalse(s.get(slot), "extra " + slot + " in exact " + s);
            }
            assertTrue(s.runs() <= ParameterSet.MAX_RUNS, s.toString());
            if (s.exact()) assertEquals(ref.cardinality(), count(s, 210), s.toString());
        }
    }

    @Test
    void emptinessIsExactAndUnionsThatAddNothingAreShared() {
        assertTrue(ParameterSet.EMPTY.isEmpty());
        assertSame(ParameterSet.EMPTY, ParameterSet.EMPTY.union(ParameterSet.EMPTY));
        ParameterSet a = ParameterSet.of(3).union(ParameterSet.of(4)).union(ParameterSet.of(9));
        assertSame(a, a.union(ParameterSet.of(4)));
        assertSame(a, ParameterSet.of(9).union(a));
        assertSame(a, a.union(ParameterSet.EMPTY));
        assertEquals("{3..4, 9}", a.toString());
    }

    @Test
    void dependenciesOfAProgramMatchAReachabilityReference() {
        // a random DAG over 6 parameters, 2 data tensors and 60 nodes of add/mul/relu/neg
        Random rnd = new Random(5);
        var b = ProcedureBuilder.named("dag");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) ids.add(b.parameter("p" + i, 2));
        ids.add(b.data("d0", 2));
        ids.add(b.data("d1", 2));
        for (int i = 0; i < 60; i++) {
            String x = ids.get(rnd.nextInt(ids.size())), y = ids.get(rnd.nextInt(ids.size()));
            ids.add(switch (rnd.nextInt(4)) {
                case 0 -> b.add(x, y);
                case 1 -> b.mul(x, y);
                case 2 -> b.relu(x);
                default -> b.neg(x);
            });
        }
        Procedure proc = b.build(b.sum(ids.get(ids.size() - 1)));
        Program p = Program.of(proc);
        BitSet[] reach = new BitSet[p.nSlots];
        for (int s = 0; s < p.nSlots; s++) {
            reach[s] = new BitSet();
            if (p.isParam(s)) reach[s].set(s);
            int node = p.nodeOfSlot(s);
            if (node >= 0) for (int a : p.args[node]) reach[s].or(reach[a]);
            for (int q = 0; q < p.nParams; q++) assertEquals(reach[s].get(q), p.deps[s].get(q), "slot " + s + ", parameter " + q);
            assertEquals(reach[s].isEmpty(), p.deps[s].isEmpty());
        }
    }

    @Test
    void aHundredThousandLayerNetworkCompilesInLinearMemory() {
        List<Mlp.Layer> layers = new ArrayList<>();
        for (int l = 0; l < 100_000; l++) layers.add(new Mlp.Layer(1, "relu"));
        Procedure proc = new Mlp(1, layers, true, "mse", 1).expand("deep");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        Program p = Program.of(proc);
        long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        // 500,201 slots: a few hundred bytes each; the bit sets of before needed about 3.7 GB
        assertTrue(allocated < 400L << 20, "compiling allocated " + (allocated >> 20) + " MiB");
        IdentityHashMap<ParameterSet, Boolean> distinct = new IdentityHashMap<>();
        long runs = 0;
        for (ParameterSet s : p.deps) if (distinct.put(s, Boolean.TRUE) == null) runs += s.runs();
        assertTrue(runs <= p.nSlots, runs + " runs stored for " + p.nSlots + " slots");
        assertTrue(p.deps[p.outputSlot].get(0) && p.deps[p.outputSlot].get(p.nParams - 1));
        assertTrue(p.deps[p.outputSlot].exact());
    }

    private static int count(ParameterSet s, int upTo) {
        int n = 0;
        for (int i = 0; i < upTo; i++) if (s.get(i)) n++;
        return n;
    }
}
