package org.soupofexperts.data.finetune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.train.EarlyStopping;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * Fine-tuning a model on one set of documents in one call: the documents become one token stream
 * (joined by a blank line, as a token store and {@code Evaluation.onDocuments} read them),
 * training draws windows from it, and early stopping scores held-out documents (given, or the
 * last tenth of the set) and restores the best weights. The paper's Figure 5 setting, and what a
 * user with a few documents of a new domain runs after {@code soup.instantiate(h)}.
 *
 * <pre>{@code
 * TrainingReport r = FineTuning.builder().tokenizer(tok).documents(docs).steps(400).learningRate(3e-4)
 *         .seed(1).build().run(specialist);
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #run} trains the specialist in place (the specialist
 * itself must not be used by other threads meanwhile).
 */
public final class FineTuning {

    private final Tokenizer tokenizer;
    private final List<String> documents;
    private final List<String> validation;
    private final int steps;
    private final int batch;
    private final double learningRate;
    private final int every;
    private final int patience;
    private final long seed;

    private FineTuning(Builder b) {
        this.tokenizer = Objects.requireNonNull(b.tokenizer, "tokenizer");
        if (b.documents == null || b.documents.isEmpty()) {
            throw new IllegalArgumentException("fine-tuning needs at least one training document");
        }
        if (b.steps < 1 || b.batch < 1 || !(b.learningRate > 0) || b.patience < 1 || b.every < 0) {
            throw new IllegalArgumentException(
                    "fine-tuning needs steps >= 1, batch >= 1, learningRate > 0, patience >= 1"
                            + " and every >= 0; got steps=" + b.steps + " batch=" + b.batch + " learningRate="
                            + b.learningRate
                            + " patience=" + b.patience + " every=" + b.every);
        }
        if (b.seed == null) {
            throw new IllegalArgumentException("fine-tuning needs a seed: the same seed gives the same run");
        }
        List<String> docs = List.copyOf(b.documents);
        if (b.validation != null) {
            this.documents = docs;
            this.validation = List.copyOf(b.validation);
        } else if (docs.size() >= 2) {
            // The last tenth (at least one document) is held out; the rest trains.
            int held = Math.max(1, docs.size() / 10);
            this.documents = docs.subList(0, docs.size() - held);
            this.validation = docs.subList(docs.size() - held, docs.size());
        } else {
            throw new IllegalArgumentException(
                    "with one training document, give validation documents for early stopping");
        }
        if (validation.isEmpty()) {
            throw new IllegalArgumentException("early stopping needs at least one validation document");
        }
        this.steps = b.steps;
        this.batch = b.batch;
        this.learningRate = b.learningRate;
        this.every = b.every == 0 ? Math.max(1, b.steps / 16) : b.every;
        this.patience = b.patience;
        this.seed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The documents that train (without the held-out ones). */
    public List<String> documents() {
        return documents;
    }

    /** The documents early stopping scores. */
    public List<String> validation() {
        return validation;
    }

    /**
     * Fine-tunes {@code model} in place at its own context length and returns the report (its
     * validation curve, best step, and whether training stopped early). The best weights seen
     * on the validation documents are restored at the end.
     *
     * @throws IllegalArgumentException when the documents are too short for one training or
     *     validation window of the model's context + 1 tokens, or use another tokenizer than the
     *     model was trained with
     */
    public TrainingReport run(DenseModel model) {
        String trainedWith = model.labels().tokenizer();
        if (trainedWith != null && !trainedWith.equals(tokenizer.id())) {
            throw new IllegalArgumentException(
                    "the model was trained with tokenizer " + trainedWith + ", not " + tokenizer.id());
        }
        int context = model.config().contextLength();
        int[] train = stream(tokenizer, documents);
        if (train.length < context + 1) {
            throw new IllegalArgumentException("the training documents hold " + train.length
                    + " tokens, fewer than one window of " + (context + 1) + " (the model's context + 1)");
        }
        EarlyStopping es = EarlyStopping.builder()
                .validation(windows(stream(tokenizer, validation), context))
                .every(every)
                .patience(patience)
                .restoreBest(true)
                .build();
        TrainingPlan tc = TrainingPlan.builder()
                .source(new InMemoryDomainSampler(List.of("fine-tuning"), new int[][] {train}))
                .metaDistribution(MetaDistributions.fixed(new double[] {1.0}))
                .steps(steps)
                .batchSize(batch)
                .contextLength(context)
                .learningRate(learningRate)
                .warmup(steps / 20)
                .logEvery(0)
                .seed(seed)
                .earlyStopping(es)
                .build();
        return model.train(tc);
    }

    /**
     * The documents as one stream, each encoded on its own and joined by the encoded blank line,
     * as a token store writes a domain.
     */
    static int[] stream(Tokenizer tokenizer, List<String> docs) {
        int[] separator = tokenizer.encode("\n\n");
        List<int[]> parts = new ArrayList<>();
        long total = 0;
        for (int d = 0; d < docs.size(); d++) {
            if (docs.get(d) == null) {
                throw new IllegalArgumentException("document " + d + " is null");
            }
            if (d > 0) {
                parts.add(separator);
                total += separator.length;
            }
            int[] t = tokenizer.encode(docs.get(d));
            parts.add(t);
            total += t.length;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "the documents hold " + total + " tokens, more than one in-memory stream takes");
        }
        int[] all = new int[(int) total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /** Non-overlapping windows of context + 1 tokens (sharing their edge token), 16 per batch, at most 256. */
    private static List<TokenBatch> windows(int[] t, int context) {
        int windows = Math.min(256, (t.length - 1) / context);
        if (windows < 1) {
            throw new IllegalArgumentException("the validation documents hold " + t.length
                    + " tokens, fewer than one window of " + (context + 1) + " (the model's context + 1)");
        }
        List<TokenBatch> out = new ArrayList<>();
        List<int[]> rows = new ArrayList<>();
        for (int w = 0; w < windows; w++) {
            rows.add(Arrays.copyOfRange(t, w * context, w * context + context + 1));
            if (rows.size() == 16 || w == windows - 1) {
                out.add(TokenBatch.of(rows.toArray(new int[0][])));
                rows.clear();
            }
        }
        return out;
    }

    /** Builder; {@code tokenizer}, {@code documents} and {@code seed} are required. Not thread-safe. */
    public static final class Builder {
        private Tokenizer tokenizer;
        private List<String> documents;
        private List<String> validation;
        private int steps = 400;
        private int batch = 8;
        private double learningRate = 3e-4;
        private int every;
        private int patience = 3;
        private Long seed;

        private Builder() {}

        /** The tokenizer the model was trained with. */
        public Builder tokenizer(Tokenizer t) {
            this.tokenizer = t;
            return this;
        }

        /** The documents to fine-tune on (the last tenth is held out unless {@link #validation} is given). */
        public Builder documents(List<String> docs) {
            this.documents = docs;
            return this;
        }

        /** Held-out documents for early stopping (default: the last tenth of {@link #documents}). */
        public Builder validation(List<String> docs) {
            this.validation = docs;
            return this;
        }

        /** At most this many steps (default 400). */
        public Builder steps(int v) {
            this.steps = v;
            return this;
        }

        /** Sequences per step (default 8). */
        public Builder batch(int v) {
            this.batch = v;
            return this;
        }

        /** Peak learning rate (default 3e-4: a tenth of pretraining's). */
        public Builder learningRate(double v) {
            this.learningRate = v;
            return this;
        }

        /** Steps between validations (default: a sixteenth of the steps). */
        public Builder every(int v) {
            this.every = v;
            return this;
        }

        /** Validations without improvement before stopping (default 3). */
        public Builder patience(int v) {
            this.patience = v;
            return this;
        }

        /** Seed of the data stream (required). */
        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        public FineTuning build() {
            return new FineTuning(this);
        }
    }
}
