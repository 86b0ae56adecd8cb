#!/usr/bin/env python3
"""A grasp loop against a running EdgePose daemon (./deploy/dev.sh run gives one on its synthetic camera).

Each cycle asks for the newest pose no older than --max-age, refuses to grasp on a pose that is stale, not found,
ambiguous, unsure or too uncertain, and otherwise computes the pre-grasp point --approach metres above the object's
top face (its +Z axis) in the pose's reference frame, which is where a real controller would send the arm. With
--filtered it grasps on the pose filtered over time instead of this frame's, and only while the track is TRACKING
(a COASTING pose is a prediction, a LOST track has none).

    python3 examples/grasp_loop.py --cycles 20
"""

import argparse
import sys
import time

import numpy as np

from edgepose_client import EdgePoseClient, InvalidRequestError, StalePoseError, TrackState, UnavailableError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051", help="daemon gRPC address host:port")
    parser.add_argument("--object", default="box", help="object id (EdgePose:Workcell:Objects:N:Id)")
    parser.add_argument("--max-age", type=float, default=0.2, help="refuse poses captured longer ago (s)")
    parser.add_argument("--min-confidence", type=float, default=0.5)
    parser.add_argument("--max-position-std", type=float, default=0.005, help="largest position σ accepted (m)")
    parser.add_argument("--approach", type=float, default=0.10, help="pre-grasp height above the object (m)")
    parser.add_argument("--filtered", action="store_true", help="grasp on the filtered pose (tracker), not the raw one")
    parser.add_argument("--cycles", type=int, default=0, help="stop after this many cycles (0: run until Ctrl-C)")
    parser.add_argument("--period", type=float, default=0.1, help="seconds between cycles")
    args = parser.parse_args()

    with EdgePoseClient(args.target, timeout=0.5) as client:
        first = client.wait_until_serving(timeout=60)
        status = client.status()
        print(f"serving: frame {first.frame_sequence}, daemon {status.version}"
              f"{' (SYNTHETIC camera: pretend poses, do not move a real arm)' if status.capture_synthetic else ''}",
              flush=True)
        cycle = 0
        while args.cycles == 0 or cycle < args.cycles:
            cycle += 1
            try:
                pose = client.latest(args.object, max_age=args.max_age).pose(args.object)
            except (StalePoseError, UnavailableError) as error:
                # Too old or no answer: never grasp on it, look again next cycle.
                print(f"cycle {cycle}: wait ({type(error).__name__}: {error.details})", flush=True)
                time.sleep(args.period)
                continue
            except InvalidRequestError as error:
                print(f"edgepose: {error.details}", file=sys.stderr)
                return 2

            # The filtered pose has the raw pose's geometry (matrix, position, covariance); confidence and ambiguity
            # stay this frame's.
            track = pose.filtered
            grasped = track if args.filtered else pose
            usable = track.state == TrackState.TRACKING if args.filtered else pose.found
            position_std = np.sqrt(np.diag(grasped.covariance)[:3]).max() if usable else float("inf")
            if args.filtered and not usable:
                verdict = f"track {track.state.name} (raw pose {track.raw_verdict.name})"
            elif not pose.found:
                verdict = f"not found ({pose.fallback_reason.name})"
            elif pose.rotation_ambiguous:
                verdict = "rotation ambiguous, look again"
            elif pose.confidence < args.min_confidence:
                verdict = f"confidence {pose.confidence:.2f} too low"
            elif position_std > args.max_position_std:
                verdict = f"position σ {position_std * 1000:.1f} mm too large"
            else:
                pre_grasp = grasped.matrix @ np.array([0.0, 0.0, args.approach, 1.0])
                verdict = (f"GRASP: object at {np.round(grasped.position, 4).tolist()} m, pre-grasp "
                           f"{np.round(pre_grasp[:3], 4).tolist()} m in {pose.frame.name} frame "
                           f"({'filtered, ' if args.filtered else ''}{pose.source.name}, "
                           f"confidence {pose.confidence:.2f})")
            print(f"cycle {cycle}: {verdict}", flush=True)
            time.sleep(args.period)
    return 0


if __name__ == "__main__":
    sys.exit(main())
