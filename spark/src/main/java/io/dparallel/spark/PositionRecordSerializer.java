package io.dparallel.spark;

import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import scala.reflect.ClassTag;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The wire format of an {@link EpochShuffle} epoch: each (epoch position, example record) pair as the position (8
 * bytes), the record's length (4 bytes) and its bytes. Spark uses it to write the shuffle, to spill the sort and to
 * read both back. It replaces Spark's default Java serialization, which per pair wrote a {@code Tuple2}, a boxed
 * {@code Long} and the array with their class descriptors (re-sent every 100 objects) and read them back through
 * reflection; and it reads no class names, so nothing but positions and bytes can come out of a shuffle file.
 *
 * <p>Only streams of alternating keys and values are supported (what shuffles and spills write); single objects
 * ({@link SerializerInstance#serialize}) are not.
 */
final class PositionRecordSerializer extends Serializer implements Serializable {

    private static final long serialVersionUID = 1L;

    @Override
    public SerializerInstance newInstance() {
        return new Instance();
    }

    private static final class Instance extends SerializerInstance {

        @Override
        public <T> ByteBuffer serialize(T t, ClassTag<T> tag) {
            throw new UnsupportedOperationException("The epoch shuffle serializes streams of (position, record) only");
        }

        @Override
        public <T> T deserialize(ByteBuffer bytes, ClassTag<T> tag) {
            throw new UnsupportedOperationException("The epoch shuffle deserializes streams of (position, record) only");
        }

        @Override
        public <T> T deserialize(ByteBuffer bytes, ClassLoader loader, ClassTag<T> tag) {
            return deserialize(bytes, tag);
        }

        @Override
        public SerializationStream serializeStream(OutputStream s) {
            return new Writer(s);
        }

        @Override
        public DeserializationStream deserializeStream(InputStream s) {
            return new Reader(s);
        }
    }

    private static final class Writer extends SerializationStream {
        private final DataOutputStream out;

        Writer(OutputStream out) {
            this.out = new DataOutputStream(out);
        }

        @Override
        public <T> SerializationStream writeKey(T key, ClassTag<T> tag) {
            try {
                out.writeLong((Long) key);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        @Override
        public <T> SerializationStream writeValue(T value, ClassTag<T> tag) {
            byte[] record = (byte[]) value;
            try {
                out.writeInt(record.length);
                out.write(record);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        @Override
        public <T> SerializationStream writeObject(T t, ClassTag<T> tag) {
            throw new UnsupportedOperationException("The epoch shuffle writes (position, record) pairs only");
        }

        @Override
        public void flush() {
            try {
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class Reader extends DeserializationStream {
        private final DataInputStream in;

        Reader(InputStream in) {
            this.in = new DataInputStream(in);
        }

        /** Throws {@link EOFException} at the end of the stream, as Spark's key-value iterator expects. */
        @Override
        @SuppressWarnings("unchecked")
        public <T> T readKey(ClassTag<T> tag) {
            try {
                return (T) Long.valueOf(in.readLong());
            } catch (EOFException e) {
                throw sneaky(e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T readValue(ClassTag<T> tag) {
            try {
                int length = in.readInt();
                if (length < 0) {
                    throw new IOException("A shuffled example record has length " + length + ": the shuffle file "
                            + "is corrupt");
                }
                byte[] record = new byte[length];
                in.readFully(record);
                return (T) record;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public <T> T readObject(ClassTag<T> tag) {
            throw new UnsupportedOperationException("The epoch shuffle reads (position, record) pairs only");
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Spark's iterators end a stream on an {@link EOFException} thrown from readKey (Scala has no checked ones). */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }
}
