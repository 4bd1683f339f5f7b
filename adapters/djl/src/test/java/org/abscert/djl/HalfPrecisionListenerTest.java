package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.djl.listener.ClarkeTrainingListener;
import org.junit.jupiter.api.Test;

/** The DJL listener on a float16 model (parameters created in FLOAT16 by the trainer, float16 batches). */
class HalfPrecisionListenerTest {

    @Test void aFloat16ModelIsCertifiedStepByStepWithoutErrors() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.WARN).build();
        try (NDManager manager = PyTorchEngine.get().newBaseManager();
             Model model = Model.newInstance("half", PyTorchEngine.ENGINE_NAME)) {
            SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(4).build())
                    .add(Activation.reluBlock()).add(Linear.builder().setUnits(2).build());
            model.setBlock(block);
            // the trainer creates the parameters in the model's data type
            model.setDataType(DataType.FLOAT16);
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
                    .addTrainingListeners(clarke))) {
                trainer.initialize(new Shape(3, 3));
                ArrayDataset data = new ArrayDataset.Builder()
                        .setData(manager.create(new float[] {0.5f, -1f, 0.25f, 1f, 0.75f, -0.5f, -0.25f, 0.5f, 1f}, new Shape(3, 3)).toType(DataType.FLOAT16, false))
                        .optLabels(manager.create(new float[] {1f, 0f, 0f, 1f, 0.5f, 0.5f}, new Shape(3, 2)).toType(DataType.FLOAT16, false))
                        .setSampling(3, false).build();
                for (int step = 0; step < 3; step++) {
                    for (Batch b : trainer.iterateDataset(data)) {
                        try {
                            EasyTrain.trainBatch(trainer, b);
                            trainer.step();
                        } finally {
                            b.close();
                        }
                    }
                }
            }
        }
        TrainingStatistics s = clarke.statistics();
        System.out.println("half djl listener: " + s.summary());
        assertEquals(3, s.steps(), s.summary());
        assertEquals(3, s.checked(), s.summary());
        assertEquals(0, s.errors(), s.summary());
        // rounding in the smooth parts of a float16 step never refutes
        assertEquals(0, s.refuted(), s.summary());
    }
}
