package io.gatehouse.cli;

import io.gatehouse.observability.logging.LogText;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain-text table with left-aligned columns separated by two spaces, like {@code kubectl get}.
 * The last column is not padded so lines carry no trailing blanks. Cells are single-line: line
 * breaks are replaced by spaces and cells longer than {@link #MAX_CELL} characters are cut.
 * Not thread-safe; build, render, discard.
 */
public final class Table {

    /** Longest cell printed in full; longer ones end in "...". */
    static final int MAX_CELL = 60;

    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = List.of(headers);
    }

    /** Adds a row; {@code null} cells print as "-". */
    public Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has "
                    + headers.size() + " columns");
        }
        rows.add(Arrays.stream(cells).map(Table::cell).toList());
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The header line followed by one line per row. */
    public List<String> lines() {
        int[] widths = new int[headers.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = headers.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        List<String> lines = new ArrayList<>(rows.size() + 1);
        lines.add(line(headers, widths));
        for (List<String> row : rows) {
            lines.add(line(row, widths));
        }
        return lines;
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String cell = cells.get(c);
            sb.append(cell);
            if (c < cells.size() - 1) {
                sb.append(" ".repeat(widths[c] - cell.length() + 2));
            }
        }
        return sb.toString().stripTrailing();
    }

    private static String cell(Object value) {
        if (value == null) {
            return "-";
        }
        // Cells hold what the server holds: text from data planes and other operators. Line breaks
        // fold to a space (readable); any other control or text-reordering character is shown
        // escaped, so a cell cannot move the cursor, recolour or rewrite the operator's terminal.
        String text = LogText.escaped(value.toString().replaceAll("\\s*[\\r\\n]+\\s*", " "));
        return text.length() <= MAX_CELL ? text : text.substring(0, MAX_CELL - 3) + "...";
    }
}
