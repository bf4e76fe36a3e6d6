package io.dparallel.notebooks;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The run-specific names the written results number instead of keeping. */
class NoteResultsTest {

    @Test
    void runSpecificNamesAreNumberedInOrderOfAppearanceAndEqualNamesAlike() {
        Map<String, String> numbered = new HashMap<>();
        String first = NoteResults.numbered("""
                Working in file:///tmp/dparallel-notebook-2223944475790863918
                pipeline: org.apache.spark.ml.Pipeline = pipeline_e2b2f0951eab
                pipelineModel: org.apache.spark.ml.PipelineModel = pipeline_e2b2f0951eab
                classifier: DParallelClassifier = dparallelClassifier_67b55c50d8a8
                fs: org.apache.hadoop.fs.FileSystem = org.apache.hadoop.fs.LocalFileSystem@69b2d0db
                """, numbered);
        String second = NoteResults.numbered("/stages/0_strIdx_0797fbd0dbf4/data/"
                + "part-00000-0719c303-d13b-4199-ae99-8333395ca906-c000.snappy.parquet\t773\n"
                + "loss 1.0953074657762667, accuracy 0.9073787409700722, 16124 rows, pipeline_e2b2f0951eab\n", numbered);

        assertThat(first).isEqualTo("""
                Working in file:///tmp/dparallel-notebook-1
                pipeline: org.apache.spark.ml.Pipeline = pipeline_000000000001
                pipelineModel: org.apache.spark.ml.PipelineModel = pipeline_000000000001
                classifier: DParallelClassifier = dparallelClassifier_000000000002
                fs: org.apache.hadoop.fs.FileSystem = org.apache.hadoop.fs.LocalFileSystem@00000001
                """);
        assertThat(second).isEqualTo("/stages/0_strIdx_000000000003/data/"
                + "part-00000-00000000-0000-0000-0000-000000000001-c000.snappy.parquet\t773\n"
                + "loss 1.0953074657762667, accuracy 0.9073787409700722, 16124 rows, pipeline_000000000001\n");
    }
}
