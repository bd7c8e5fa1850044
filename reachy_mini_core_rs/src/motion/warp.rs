//! The time warps of a goto, as the vendor's `time_trajectory` defines them.

use crate::error::{Error, Result};

/// How a goto's progress s follows its normalised time t (both 0 at the start, 1 at the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warp {
    /// s = t.
    Linear,
    /// s = 10t³ − 15t⁴ + 6t⁵: zero velocity and acceleration at both ends (the default).
    MinJerk,
    /// s = 2t² before ½, 1 − (2 − 2t)²/2 after.
    EaseInOut,
    /// Ease-in-out-back (c1 = 1.70158, c2 = 1.525·c1): overshoots both ways, then settles.
    Cartoon,
}

/// The names the interfaces use, in the vendor's order.
pub const WARP_NAMES: [&str; 4] = ["linear", "minjerk", "ease_in_out", "cartoon"];

impl Warp {
    pub fn parse(name: &str) -> Result<Warp> {
        match name {
            "linear" => Ok(Warp::Linear),
            "minjerk" => Ok(Warp::MinJerk),
            "ease_in_out" => Ok(Warp::EaseInOut),
            "cartoon" => Ok(Warp::Cartoon),
            other => Err(Error::Motion(format!(
                "interpolation '{other}' is not one of {}",
                WARP_NAMES.join(", ")
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Warp::Linear => "linear",
            Warp::MinJerk => "minjerk",
            Warp::EaseInOut => "ease_in_out",
            Warp::Cartoon => "cartoon",
        }
    }

    /// s(t) for t in [0, 1]; t is clamped into it.
    pub fn apply(self, t: f64) -> f64 {
        let t = t.clamp(0.0, 1.0);
        match self {
            Warp::Linear => t,
            Warp::MinJerk => t * t * t * (10.0 - 15.0 * t + 6.0 * t * t),
            Warp::EaseInOut => {
                if t < 0.5 {
                    2.0 * t * t
                } else {
                    1.0 - (2.0 - 2.0 * t).powi(2) / 2.0
                }
            }
            Warp::Cartoon => {
                let c2 = 1.70158 * 1.525;
                if t < 0.5 {
                    (2.0 * t).powi(2) * ((c2 + 1.0) * 2.0 * t - c2) / 2.0
                } else {
                    ((2.0 * t - 2.0).powi(2) * ((c2 + 1.0) * (2.0 * t - 2.0) + c2) + 2.0) / 2.0
                }
            }
        }
    }

    /// The largest |ds/dt| over [0, 1]: a joint that travels Δ in d seconds peaks at
    /// this × Δ / d rad/s.
    pub fn peak_rate(self) -> f64 {
        match self {
            Warp::Linear => 1.0,
            Warp::MinJerk => 1.875,
            Warp::EaseInOut => 2.0,
            // The steepest point is the middle: with u = 2t, s = u²((c2+1)u − c2)/2, so
            // ds/dt = 3(c2+1)u² − 2c2·u, which is c2 + 3 at u = 1.
            Warp::Cartoon => {
                let c2 = 1.70158 * 1.525;
                3.0 * (c2 + 1.0) - 2.0 * c2
            }
        }
    }
}
