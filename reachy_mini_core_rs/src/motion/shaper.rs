//! Streamed targets, shaped: each joint's goal moves toward its latest target under the
//! joint's velocity and acceleration limits, one loop period at a time.
//!
//! The braking velocity is the discrete one: braking by a·dt per tick from v = n·a·dt covers
//! a·dt²·n(n+1)/2, so the largest velocity that still stops on the target from a distance e
//! is −a·dt/2 + √((a·dt/2)² + 2·a·e). Every tick the velocity changes by at most a·dt and
//! stays within the velocity limit, so no commanded step exceeds v_max·dt.

use crate::joints::COUNT;

/// The shaping state of one joint.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Axis {
    /// Where the goal is now (the last one written), rad.
    pub position: f64,
    /// Its velocity over the last tick, rad/s.
    pub velocity: f64,
    /// Where it is going; None when it is at rest and nothing was asked.
    pub target: Option<f64>,
}

impl Axis {
    /// One tick of dt seconds under (v_max, a_max); returns the new goal, or None when at rest.
    pub fn step(&mut self, dt: f64, v_max: f64, a_max: f64, limits: (f64, f64)) -> Option<f64> {
        let target = self.target?;
        let error = target - self.position;
        let dv = a_max * dt;
        if error == 0.0 && self.velocity.abs() <= dv {
            self.velocity = 0.0;
            self.target = None;
            return None;
        }
        let half = dv / 2.0;
        let brake = -half + (half * half + 2.0 * a_max * error.abs()).sqrt();
        // Never faster than lands on the target this tick.
        let wanted = error.signum() * v_max.min(brake).min(error.abs() / dt);
        let velocity = wanted.clamp(self.velocity - dv, self.velocity + dv).clamp(-v_max, v_max);
        let position = (self.position + velocity * dt).clamp(limits.0, limits.1);
        self.position = position;
        self.velocity = velocity;
        Some(position)
    }
}

/// The shaping state of every joint.
#[derive(Debug, Clone)]
pub struct Shaper {
    pub axes: [Axis; COUNT],
}

impl Default for Shaper {
    fn default() -> Self {
        Shaper { axes: [Axis::default(); COUNT] }
    }
}

impl Shaper {
    /// Rest every joint at the given goals: nothing moves until a new target comes.
    pub fn rest_at(&mut self, goals: &[f64; COUNT]) {
        for (axis, goal) in self.axes.iter_mut().zip(goals) {
            *axis = Axis { position: *goal, velocity: 0.0, target: None };
        }
    }

    /// Whether some joint is still moving toward its target.
    pub fn moving(&self) -> bool {
        self.axes.iter().any(|a| a.target.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 0.005;

    fn run(start: f64, target: f64, v: f64, a: f64) -> Vec<f64> {
        let mut axis = Axis { position: start, velocity: 0.0, target: Some(target) };
        let mut out = vec![start];
        for _ in 0..10_000 {
            match axis.step(DT, v, a, (-10.0, 10.0)) {
                Some(p) => out.push(p),
                None => break,
            }
        }
        out
    }

    #[test]
    fn a_step_is_shaped_within_the_limits_and_ends_on_the_target() {
        for (start, target, v, a) in
            [(-3.05, -0.1745, 6.0, 100.0), (0.0, 0.001, 6.0, 100.0), (1.0, -1.0, 2.0, 10.0)]
        {
            let path = run(start, target, v, a);
            assert_eq!(*path.last().unwrap(), target);
            let velocities: Vec<f64> = path.windows(2).map(|w| (w[1] - w[0]) / DT).collect();
            for dv in velocities.windows(2) {
                assert!((dv[1] - dv[0]).abs() <= a * DT * (1.0 + 1e-9), "{dv:?}");
            }
            for v_k in &velocities {
                assert!(v_k.abs() <= v * (1.0 + 1e-12), "{v_k}");
            }
            // It starts from rest: the first step is within a·dt².
            assert!((path[1] - path[0]).abs() <= a * DT * DT * (1.0 + 1e-9));
        }
    }

    #[test]
    fn at_rest_on_its_target_it_writes_nothing() {
        let mut axis = Axis { position: 0.5, velocity: 0.0, target: Some(0.5) };
        assert_eq!(axis.step(DT, 6.0, 100.0, (-1.0, 1.0)), None);
        assert_eq!(axis.target, None);
    }
}
