/**
 * @sluice/producers: broker producers for Sluice pipelines. Each broker is a
 * subpath export (`@sluice/producers/sqs`, `/kafka`, `/rabbitmq`) so an app
 * only loads the client library it uses.
 */
export {};
