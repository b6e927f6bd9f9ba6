// insertfn/types: everything a Destination Insert Function can use, and the handlers it may define.
// Reference it from a function file (`/// <reference types="insertfn/types" />`) or from tsconfig.json
// (`"types": ["insertfn/types"]`). Destination functions use insertfn/types/destination instead.
/// <reference path="./events.d.ts" />
/// <reference path="./globals.d.ts" />

/**
 * What an insert handler returns: the event to send on (it replaces the input; the input's `messageId`
 * is kept if it has none), or nothing (`undefined`, `null`) to filter the event out.
 */
type InsertResult = SegmentEvent | null | undefined | void
type InsertBatchResult = (SegmentEvent | null | undefined)[]

// A handler in the function file must match these signatures: tsc reports "This overload signature is
// not compatible with its implementation signature" for one that does not.
declare function onTrack(event: SegmentTrackEvent, settings: FunctionSettings): InsertResult | Promise<InsertResult>
declare function onIdentify(event: SegmentIdentifyEvent, settings: FunctionSettings): InsertResult | Promise<InsertResult>
declare function onPage(event: SegmentPageEvent, settings: FunctionSettings): InsertResult | Promise<InsertResult>
declare function onScreen(event: SegmentScreenEvent, settings: FunctionSettings): InsertResult | Promise<InsertResult>
declare function onGroup(event: SegmentGroupEvent, settings: FunctionSettings): InsertResult | Promise<InsertResult>
declare function onAlias(event: SegmentAliasEvent, settings: FunctionSettings): InsertResult | Promise<InsertResult>
declare function onDelete(event: SegmentDeleteEvent, settings: FunctionSettings): InsertResult | Promise<InsertResult>
/** Events in, the same events (transformed, in the same order) out; null or a missing entry filters one. */
declare function onBatch(events: SegmentEvent[], settings: FunctionSettings): InsertBatchResult | Promise<InsertBatchResult>
