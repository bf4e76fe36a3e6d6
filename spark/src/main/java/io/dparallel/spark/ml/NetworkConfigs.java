package io.dparallel.spark.ml;

import io.dparallel.spark.network.NetworkSources;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;

/** The estimators' {@code networkJson} param check, over {@link NetworkSources#parseJson}. */
final class NetworkConfigs {

    private NetworkConfigs() {
    }

    /** A Spark param validator: empty (use the preset) or a configuration {@link NetworkSources} can read. */
    static final class JsonCheck extends AbstractFunction1<String, Object> implements Serializable {
        private final String param;

        JsonCheck(String param) {
            this.param = param;
        }

        @Override
        public Object apply(String json) {
            if (json == null) {
                throw new IllegalArgumentException(param + " is null but must be a DL4J configuration JSON or empty");
            }
            if (!json.isEmpty()) {
                NetworkSources.parseJson(param, json);
            }
            return Boolean.TRUE;
        }
    }
}
