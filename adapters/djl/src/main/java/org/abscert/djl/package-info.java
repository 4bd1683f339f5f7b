/**
 * The {@code djl-pytorch} backend: abscert procedures evaluated with DJL 0.36.0 on the PyTorch 2.7.1 engine, the
 * gradient from DJL's {@link ai.djl.training.GradientCollector} (PyTorch autograd), kinks through PyTorch's own
 * kernels. {@link org.abscert.djl.DjlBackendProvider} registers it with {@link java.util.ServiceLoader};
 * {@link org.abscert.djl.PyTorchEngine} starts the engine offline from the native jars and never downloads.
 * {@link org.abscert.djl.DjlBackend#KINK_RULES} records what PyTorch does at each kink.
 *
 * <p>Subpackages: {@code importer} turns a DJL {@code SequentialBlock} into a procedure, {@code listener}
 * certifies the gradient of every step of an existing {@code Trainer}, {@code example} trains on the digits set.
 */
package org.abscert.djl;
