//! Fault injection for the sandbox, from `STRATA_SANDBOX`
//! (`latency_ms=200,fail_rate=0.2,throttle_rate=0.1,async_ms=500,seed=7`): latency on every
//! call, throttling, and 5xx failures — half before the call takes effect, half after (the
//! response is lost), so clients must cope with both. Also the sandbox's clocks: how long
//! asynchronous operations take (`async_ms`) and how long an idle session token lives
//! (`token_ttl_ms`, Commvault's 30 minutes by default), so tests can make them short.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub latency_ms: u64,
    pub fail_rate: f64,
    pub throttle_rate: f64,
    /// How long asynchronous operations (instance creation, restore) take.
    pub async_ms: u64,
    /// How long a session token (Commvault) stays valid without being used.
    pub token_ttl_ms: u64,
    pub seed: Option<u64>,
}

impl Default for FaultSpec {
    fn default() -> Self {
        FaultSpec {
            latency_ms: 0,
            fail_rate: 0.0,
            throttle_rate: 0.0,
            async_ms: 300,
            token_ttl_ms: 30 * 60 * 1000,
            seed: None,
        }
    }
}

impl FaultSpec {
    pub fn parse(s: &str) -> Result<FaultSpec, String> {
        let mut f = FaultSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("STRATA_SANDBOX: \"{part}\" is not key=value"))?;
            let bad = |what: &str| format!("STRATA_SANDBOX: {k}={v}: expected {what}");
            match k {
                "latency_ms" => f.latency_ms = v.parse().map_err(|_| bad("milliseconds"))?,
                "async_ms" => f.async_ms = v.parse().map_err(|_| bad("milliseconds"))?,
                "token_ttl_ms" => f.token_ttl_ms = v.parse().map_err(|_| bad("milliseconds"))?,
                "seed" => f.seed = Some(v.parse().map_err(|_| bad("an integer"))?),
                "fail_rate" | "throttle_rate" => {
                    let r: f64 = v.parse().map_err(|_| bad("a rate from 0 to 1"))?;
                    if !(0.0..=1.0).contains(&r) {
                        return Err(bad("a rate from 0 to 1"));
                    }
                    if k == "fail_rate" {
                        f.fail_rate = r;
                    } else {
                        f.throttle_rate = r;
                    }
                }
                _ => {
                    return Err(format!(
                        "STRATA_SANDBOX: unknown setting \"{k}\" (settings: latency_ms, \
                         fail_rate, throttle_rate, async_ms, token_ttl_ms, seed)"
                    ))
                }
            }
        }
        Ok(f)
    }

    pub fn from_env() -> Result<FaultSpec, String> {
        match std::env::var("STRATA_SANDBOX") {
            Ok(s) => FaultSpec::parse(&s),
            Err(_) => Ok(FaultSpec::default()),
        }
    }
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttle,
    /// Fail before the call takes effect.
    FailBefore,
    /// Let the call take effect, then answer 5xx.
    FailAfter,
}

pub struct Faults {
    pub spec: FaultSpec,
    rng: Mutex<StdRng>,
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Faults {
        let rng = match spec.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Faults {
            spec,
            rng: Mutex::new(rng),
        }
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.spec.latency_ms)
    }

    pub fn roll(&self, mutating: bool) -> Fault {
        if self.spec.fail_rate == 0.0 && self.spec.throttle_rate == 0.0 {
            return Fault::None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        if rng.random_bool(self.spec.throttle_rate) {
            return Fault::Throttle;
        }
        if rng.random_bool(self.spec.fail_rate) {
            return if mutating && rng.random_bool(0.5) {
                Fault::FailAfter
            } else {
                Fault::FailBefore
            };
        }
        Fault::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_settings_and_refuses_nonsense() {
        let f =
            FaultSpec::parse("latency_ms=200,fail_rate=0.2,throttle_rate=0.1,async_ms=500,seed=7")
                .unwrap();
        assert_eq!(f.latency_ms, 200);
        assert_eq!(f.seed, Some(7));
        assert_eq!(f.token_ttl_ms, 30 * 60 * 1000);
        assert_eq!(
            FaultSpec::parse("token_ttl_ms=250").unwrap().token_ttl_ms,
            250
        );
        assert!(FaultSpec::parse("fail_rate=2").is_err());
        assert!(FaultSpec::parse("bogus=1").is_err());
        assert!(FaultSpec::parse("latency_ms").is_err());
    }

    #[test]
    fn seeded_rolls_repeat_and_rates_hold() {
        let spec = FaultSpec::parse("fail_rate=0.3,throttle_rate=0.2,seed=1").unwrap();
        let a = Faults::new(spec.clone());
        let b = Faults::new(spec);
        let ra: Vec<Fault> = (0..200).map(|_| a.roll(true)).collect();
        let rb: Vec<Fault> = (0..200).map(|_| b.roll(true)).collect();
        assert_eq!(ra, rb);
        let none = ra.iter().filter(|f| **f == Fault::None).count();
        assert!(none > 60 && none < 140, "{none}");
        assert!(ra.contains(&Fault::FailAfter));
    }
}
