/** The event shape the simulator serves: the package's own type, so the two cannot drift apart. */
export type { FlatpeakEvent } from "../nodes/lib/types";
