/**
 * @sluice/testing: helpers for testing Sluice pipelines and stages.
 * The pipeline harness (testMessage, testBatch) and broker fixtures land here.
 */
export {};
