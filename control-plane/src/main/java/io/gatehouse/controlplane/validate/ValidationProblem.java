package io.gatehouse.controlplane.validate;

/**
 * One reason a config cannot be applied.
 *
 * @param path   where in the document, with YAML keys and list indexes: {@code routes[3].upstream}
 * @param reason what is wrong, for humans
 */
public record ValidationProblem(String path, String reason) {
    @Override
    public String toString() {
        return path + ": " + reason;
    }
}
