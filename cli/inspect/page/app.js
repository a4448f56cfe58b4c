// The inspector page: the fleet list and one actor, opened from the list or from the address (#actor=<id>).
import { ActorActions } from "./actor-actions.js";
import { ActorView } from "./actor-view.js";
import { get, showError } from "./api.js";
import { FleetView } from "./fleet-view.js";

function actorInAddress() {
  const match = /^#actor=(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : undefined;
}

async function start() {
  let info;
  try {
    info = await get("/api/info");
  } catch (error) {
    showError(error);
    return;
  }
  let actor;
  const open = (actorId) => {
    if (location.hash !== `#actor=${encodeURIComponent(actorId)}`) {
      history.pushState(null, "", `#actor=${encodeURIComponent(actorId)}`);
    }
    void actor.open(actorId);
  };
  const fleet = new FleetView({ kind: info.kind, live: info.live, types: info.types, onOpen: open });
  const actions = new ActorActions({
    kind: info.kind,
    target: info.target,
    types: info.types,
    onChanged: () => {
      void actor.refresh();
      void fleet.load(fleet.cursor, { quiet: true });
    },
  });
  actor = new ActorView({ live: info.live, actions });
  addEventListener("popstate", () => {
    const id = actorInAddress();
    if (id) void actor.open(id);
  });
  await fleet.load(undefined);
  const id = actorInAddress();
  if (id) await actor.open(id);
  document.body.dataset.ready = "true";
}

void start();
