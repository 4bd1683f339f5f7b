/** A runnable example: {@link org.abscert.djl.example.DigitsTraining} trains on the digits set with the listener. */
package org.abscert.djl.example;
