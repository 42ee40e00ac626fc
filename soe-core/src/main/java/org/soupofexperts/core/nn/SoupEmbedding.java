package org.soupofexperts.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.TensorSpec;

/** A lookup table (rows x dim), souped. Forward maps integer ids of any shape to vectors. */
public final class SoupEmbedding extends AbstractSoupBlock {

    private final int rows;
    private final int dim;
    private final SoupTensor table;

    public SoupEmbedding(String name, int rows, int dim, int experts, double std) {
        this(name, rows, dim, experts, std, ExpertRanks.dense());
    }

    /** As above, with low-rank experts when {@code ranks} gives the table a rank. */
    public SoupEmbedding(String name, int rows, int dim, int experts, double std, ExpertRanks ranks) {
        this(spec(name, rows, dim, std), experts, ranks);
    }

    /** An embedding declared by its table's spec (rows x dim). */
    public SoupEmbedding(TensorSpec table, int experts, ExpertRanks ranks) {
        super(experts, ranks);
        if (!table.isMatrix()) {
            throw new IllegalArgumentException(
                    "embedding table " + table.name() + " must be a matrix, got " + table.shape());
        }
        this.rows = Math.toIntExact(table.shape().get(0));
        this.dim = Math.toIntExact(table.shape().get(1));
        this.table = soupTensor(table);
    }

    private static TensorSpec spec(String name, int rows, int dim, double std) {
        if (rows < 1 || dim < 1) {
            throw new IllegalArgumentException(
                    "embedding " + name + " needs positive sizes, got rows=" + rows + " dim=" + dim);
        }
        return TensorSpec.matrix(name + ".weight", rows, dim, std);
    }

    /** The table's value at alpha (also the tied output head of the model). */
    public NDArray table(NDArray alpha) {
        return value(table, alpha);
    }

    /**
     * Looks ids up in an already merged table, so that one merge serves lookup and head. A
     * per-group table of shape (m, rows, dim) splits the leading axis of ids into m equal groups;
     * group g looks up in table g.
     */
    public static NDArray lookup(NDArray ids, NDArray mergedTable) {
        Shape ts = mergedTable.getShape();
        if (ts.dimension() == 2) {
            return ids.getNDArrayInternal()
                    .embedding(ids, mergedTable, SparseFormat.DENSE)
                    .head();
        }
        long m = ts.get(0);
        long rows = ts.get(1);
        Shape is = ids.getShape();
        if (is.dimension() < 1 || is.get(0) % m != 0) {
            throw new IllegalArgumentException(
                    "ids of shape " + is + " cannot be split into " + m + " equal groups on their first axis");
        }
        // Group g's ids index rows [g rows, (g+1) rows) of the tables stacked into one.
        NDArray offsets =
                ids.getManager().arange(0, (int) (m * rows), (int) rows).toType(ids.getDataType(), false);
        Shape grouped = new Shape(m, -1);
        NDArray shifted = ids.reshape(grouped).add(offsets.reshape(m, 1)).reshape(is);
        NDArray flat = mergedTable.reshape(m * rows, ts.get(2));
        return shifted.getNDArrayInternal()
                .embedding(shifted, flat, SparseFormat.DENSE)
                .head();
    }

    @Override
    public NDArray apply(NDArray ids, NDArray alpha) {
        return lookup(ids, table(alpha));
    }

    public int rows() {
        return rows;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return new Shape[] {inputs[0].add(dim)};
    }
}
