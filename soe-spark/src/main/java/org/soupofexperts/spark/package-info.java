/**
 * The corpus pipeline on Apache Spark ({@link org.soupofexperts.spark.SparkCorpusPipeline}): read,
 * embed, cluster, assign and histogram documents at scale, with soe-data's embedders and centroids.
 */
package org.soupofexperts.spark;
