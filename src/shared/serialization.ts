// Response serialization. fast-json-stringify turns each response schema into code, which was
// most of an app's start (`ready`): about 60% of it. The compiled function depends only on the
// schema and the shared schemas it may reference, so one process compiles each schema once,
// whatever number of apps it builds (the test suite builds one per file; the server one).
import type { FastifyServerOptions } from 'fastify';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;
type Serializer = (payload: unknown) => string;

const select = SerializerSelector();
/** Per response schema object: its serializer, per set of shared schemas and options. */
const compiled = new WeakMap<object, Map<string, Serializer>>();

export const serializerFactory: SerializerFactory = (externalSchemas, options) => {
  const compile = select(externalSchemas, options as never);
  const context = JSON.stringify([externalSchemas, options]);
  return (route) => {
    const schema = route.schema as object;
    let serializers = compiled.get(schema);
    if (!serializers) compiled.set(schema, (serializers = new Map()));
    let serializer = serializers.get(context);
    if (!serializer) serializers.set(context, (serializer = compile(route)));
    return serializer;
  };
};
