package dev.titok.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.locate;
import static org.apache.spark.sql.functions.substring_index;
import static org.apache.spark.sql.functions.when;

import dev.titok.TitokException;
import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Images as a table of {@code path string, content binary, label string}, from one of three sources:
 * <ul>
 *   <li>a folder, walked recursively with Spark's {@code binaryFile} source; the label is the name of the first-level
 *       sub-folder an image lies in (null for images directly in the folder). Files that are not images by content
 *       (a README) are skipped, as {@code titok tokenize} skips them in folders;</li>
 *   <li>a glob (any of {@code * ? [ {} in the argument), read with {@code binaryFile}; no labels;</li>
 *   <li>a Parquet table (a {@code .parquet} file, or a folder holding {@code .parquet} files) with columns
 *       {@code path} and {@code content} and optionally {@code label}.</li>
 * </ul>
 * Spark's file sources skip names starting with {@code .} or {@code _}. Paths are Hadoop URIs
 * ({@code file:/data/a/x.png}), so the same code reads local files, HDFS or object stores.
 */
public final class ImageTable {

    private ImageTable() {}

    /** What kind of source an argument names. */
    enum Kind {
        /** a folder of images, labels from first-level sub-folders */
        FOLDER,
        /** a glob of image files */
        GLOB,
        /** a Parquet table of image bytes */
        PARQUET
    }

    /**
     * Reads {@code input} as a table of images.
     *
     * @return the table and whether rows that are not images by content are to be skipped (folders) rather than
     *         counted as bad (explicit globs and tables)
     * @throws TitokException when the input does not exist or a Parquet table lacks a column
     */
    public static Images read(SparkSession spark, String input) {
        Kind kind = kind(spark, input);
        Dataset<Row> table = switch (kind) {
            case GLOB -> spark.read().format("binaryFile").load(input)
                    .select(col("path"), col("content"), lit(null).cast("string").as("label"));
            case FOLDER -> {
                String root = qualified(spark, input).toString();
                // the path below the root; its first segment is the class folder when another segment follows
                Column relative = expr("substring(path, " + (root.length() + 2) + ")");
                yield spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(input)
                        .select(col("path"), col("content"),
                                when(locate("/", relative).gt(0), substring_index(relative, "/", 1)).as("label"));
            }
            case PARQUET -> {
                Dataset<Row> parquet = spark.read().parquet(input);
                var columns = Arrays.asList(parquet.columns());
                if (!columns.contains("path") || !columns.contains("content")) {
                    throw new TitokException(input + ": a Parquet table of images needs columns path and content"
                            + " (and optionally label), found " + columns);
                }
                yield parquet.select(col("path"), col("content"),
                        columns.contains("label") ? col("label").cast("string") : lit(null).cast("string").as("label"));
            }
        };
        return new Images(table, kind == Kind.FOLDER);
    }

    /**
     * A table of images.
     *
     * @param table          columns {@code path, content, label}
     * @param skipNonImages  whether rows that are not images by content are skipped silently (folder walks)
     */
    public record Images(Dataset<Row> table, boolean skipNonImages) {}

    /** Glob characters make a glob; a {@code .parquet} name or a folder of {@code .parquet} files a table. */
    static Kind kind(SparkSession spark, String input) {
        if (input.chars().anyMatch(c -> "*?[{".indexOf(c) >= 0)) {
            return Kind.GLOB;
        }
        Path path = qualified(spark, input);
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path)) {
                throw new TitokException(input + ": no such file or folder");
            }
            if (input.endsWith(".parquet")) {
                return Kind.PARQUET;
            }
            if (!fs.getFileStatus(path).isDirectory()) {
                throw new TitokException(input + ": expected a folder of images, a glob, or a Parquet table of images");
            }
            FileStatus[] entries = fs.listStatus(path);
            return Arrays.stream(entries).anyMatch(e -> e.isFile() && e.getPath().getName().endsWith(".parquet"))
                    ? Kind.PARQUET : Kind.FOLDER;
        } catch (IOException e) {
            throw new TitokException(input + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** {@code input} as the file system spells it in the paths Spark reports, e.g. {@code file:/data/images}. */
    static Path qualified(SparkSession spark, String input) {
        Path path = new Path(input);
        try {
            return path.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(path);
        } catch (IOException e) {
            throw new TitokException(input + ": cannot resolve: " + e.getMessage(), e);
        }
    }
}
