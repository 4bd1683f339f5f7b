/**
 * The evaluation-procedure IR: {@link org.abscert.spi.ir.Op} (the op set, with arity, attributes and
 * switch counts in one place), {@link org.abscert.spi.ir.Procedure} (validated, shapes inferred, switches
 * numbered), {@link org.abscert.spi.ir.ProcedureBuilder} and {@link org.abscert.spi.ir.Mlp} for building
 * procedures in Java, and {@link org.abscert.spi.ir.Point} for parameter and data values.
 */
package org.abscert.spi.ir;
