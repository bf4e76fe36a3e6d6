package io.dparallel.core.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Records round-trip bitwise through the assembler, with shapes and masks. */
class ExampleCodecTest {

    @Test
    void flatExamplesComeBackBitwiseInMinibatches() {
        DataSet data = new DataSet(random(new long[] {10, 4}, 1), random(new long[] {10, 3}, 2));
        List<byte[]> records = ExampleCodec.encode(data);
        assertThat(records).hasSize(10);
        MinibatchAssembler assembler = new MinibatchAssembler(records.iterator(), 5, 2);
        DataSet first = assembler.next().toDataSet();
        DataSet second = assembler.next().toDataSet();
        assertThat(assembler.hasNext()).isFalse();
        assertThat(first.getFeatures().shape()).containsExactly(5, 4);
        float[] expected = data.getFeatures().dup('c').data().asFloat();
        float[] actual = concat(first.getFeatures().data().asFloat(), second.getFeatures().data().asFloat());
        assertThat(actual).isEqualTo(expected);
        assertThat(concat(first.getLabels().data().asFloat(), second.getLabels().data().asFloat()))
                .isEqualTo(data.getLabels().dup('c').data().asFloat());
    }

    @Test
    void timeSeriesKeepTheirShapeAndMasks() {
        INDArray features = random(new long[] {4, 3, 6}, 3);
        INDArray labels = random(new long[] {4, 2, 6}, 4);
        INDArray featuresMask = Nd4j.ones(DataType.FLOAT, 4, 6);
        featuresMask.putScalar(new long[] {1, 5}, 0);
        INDArray labelsMask = Nd4j.zeros(DataType.FLOAT, 4, 6);
        labelsMask.putScalar(new long[] {2, 5}, 1);
        DataSet data = new DataSet(features, labels, featuresMask, labelsMask);
        DataSet back = new MinibatchAssembler(ExampleCodec.encode(data).iterator(), 4, 1).next().toDataSet();
        assertThat(back.getFeatures().shape()).containsExactly(4, 3, 6);
        assertThat(back.getLabels().shape()).containsExactly(4, 2, 6);
        assertThat(back.getFeatures().data().asFloat()).isEqualTo(features.dup('c').data().asFloat());
        assertThat(back.getLabels().data().asFloat()).isEqualTo(labels.dup('c').data().asFloat());
        assertThat(back.getFeaturesMaskArray().data().asFloat()).isEqualTo(featuresMask.data().asFloat());
        assertThat(back.getLabelsMaskArray().data().asFloat()).isEqualTo(labelsMask.data().asFloat());
    }

    @Test
    void doubleDataBecomesFloat32() {
        INDArray features = Nd4j.create(new double[][] {{0.1, 0.2}, {0.3, 0.4}});
        DataSet back = new MinibatchAssembler(ExampleCodec.encode(new DataSet(features, features)).iterator(), 2, 1)
                .next().toDataSet();
        assertThat(back.getFeatures().dataType()).isEqualTo(DataType.FLOAT);
        assertThat(back.getFeatures().data().asFloat()).containsExactly(0.1f, 0.2f, 0.3f, 0.4f);
    }

    @Test
    void aDifferentShapeNamesBoth() {
        List<byte[]> records = new ArrayList<>(ExampleCodec.encode(new DataSet(random(new long[] {1, 4}, 5),
                random(new long[] {1, 3}, 6))));
        records.addAll(ExampleCodec.encode(new DataSet(random(new long[] {1, 5}, 7), random(new long[] {1, 3}, 8))));
        assertThatThrownBy(() -> new MinibatchAssembler(records.iterator(), 2, 1).next())
                .hasMessageContaining("Example 1 of this worker's stream has features [5], labels [3] but the first "
                        + "had features [4], labels [3]");
    }

    @Test
    void aShortStreamSaysTheInputChanged() {
        List<byte[]> records = ExampleCodec.encode(new DataSet(random(new long[] {3, 2}, 9), random(new long[] {3, 1}, 10)));
        MinibatchAssembler assembler = new MinibatchAssembler(records.iterator(), 2, 2);
        assembler.next();
        assertThatThrownBy(assembler::next).hasMessageContaining("The example stream ended in minibatch 1 at example 1")
                .hasMessageContaining("the input changed between counting and training");
    }

    @Test
    void aCorruptRecordIsRefused() {
        byte[] record = ExampleCodec.encode(new DataSet(random(new long[] {1, 2}, 11), random(new long[] {1, 1}, 12)))
                .get(0);
        byte[] cut = java.util.Arrays.copyOf(record, record.length - 4);
        assertThatThrownBy(() -> new MinibatchAssembler(List.of(cut).iterator(), 1, 1).next())
                .hasMessageContaining("is " + cut.length + " bytes but its header says " + record.length);
        assertThat(ExampleCodec.valueBytes(record)).isEqualTo(12);
    }

    static INDArray random(long[] shape, long seed) {
        Random random = new Random(seed);
        INDArray array = Nd4j.create(DataType.FLOAT, shape);
        for (long i = 0; i < array.length(); i++) {
            array.putScalar(i, random.nextFloat());
        }
        return array;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
