"""The motion-map experiment: after the refinement, the AME triplet trains only the motion net's map
head and the sound embedding on the refinement-tuned motion body, so that the motion class-activation
map might localize. Results and why the app's heatmaps do not use it: docs/models.md.

    python3 -m training.experiments.cam --phase cam --run training/runs/motion --minutes 20
"""
from ..train_motion import PHASES, Phase, main


def setup_cam(stage, direct):
    # Keep the refinement-tuned body; retrain the map head and the sound embedding only.
    for p in stage.motion.body.parameters():
        p.requires_grad_(False)
    stage.eval()
    stage.sound.train()
    return list(stage.motion.to_map.parameters()) + list(stage.sound.parameters())


if __name__ == '__main__':
    main(phases={**PHASES, 'cam': Phase(setup_cam, 'triplet')})
