// insertfn/types/destination: the globals and handler signatures of a Destination Function, which sends
// events somewhere itself; what a handler returns is shown as its result.
/// <reference path="./events.d.ts" />
/// <reference path="./globals.d.ts" />

/** One entry per input event from a destination onBatch: 2xx delivered, 429 and 5xx retried, others rejected. */
interface DestinationBatchStatus {
  status: number
  errormessage?: string
}

declare function onTrack(event: SegmentTrackEvent, settings: FunctionSettings): unknown
declare function onIdentify(event: SegmentIdentifyEvent, settings: FunctionSettings): unknown
declare function onPage(event: SegmentPageEvent, settings: FunctionSettings): unknown
declare function onScreen(event: SegmentScreenEvent, settings: FunctionSettings): unknown
declare function onGroup(event: SegmentGroupEvent, settings: FunctionSettings): unknown
declare function onAlias(event: SegmentAliasEvent, settings: FunctionSettings): unknown
declare function onDelete(event: SegmentDeleteEvent, settings: FunctionSettings): unknown
declare function onBatch(events: SegmentEvent[], settings: FunctionSettings): unknown
