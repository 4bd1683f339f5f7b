/**
 * The evaluation-procedure IR: {@link org.abscert.spi.ir.Op} (the op set, with arity, attributes and
 * switch counts in one place), {@link org.abscert.spi.ir.Procedure} (validated, shapes inferred, switches
 * numbered), {@link org.abscert.spi.ir.ProcedureBuilder}, {@link org.abscert.spi.ir.Mlp} and {@link org.abscert.spi.ir.Cnn}
 * for building procedures in Java, {@link org.abscert.spi.ir.Window2d} for the cell geometry of conv2d and
 * pooling (which also fixes the max_pool2d switch numbering), and {@link org.abscert.spi.ir.Point} for
 * parameter and data values.
 */
package org.abscert.spi.ir;
