/**
 * A runnable example: {@link org.abscert.dl4j.example.DigitsTraining} trains a ReLU network on the digits
 * data with the {@link org.abscert.dl4j.listener.ClarkeListener} attached
 * ({@code mvn -q -pl adapters/dl4j exec:java}).
 */
package org.abscert.dl4j.example;
