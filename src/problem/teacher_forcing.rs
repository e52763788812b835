//! [`TeacherForcingSchedule`]: how a seq2seq run's teacher-forcing ratio changes over training
//! (constant, or scheduled sampling: decaying linearly to zero).

use autograd::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the teacher-forcing ratio evolves from its starting value over training steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TeacherForcingSchedule {
    /// The ratio stays at its starting value.
    #[default]
    Constant,
    /// Scheduled sampling: the ratio falls linearly from its starting value at step 0 to 0 at
    /// step `steps`, and stays 0 after.
    Linear {
        /// The step at which the ratio reaches 0 (at least 1).
        steps: usize,
    },
}

impl TeacherForcingSchedule {
    /// The ratio at training step `step` for a run that starts at `start`.
    pub fn ratio(&self, start: f64, step: usize) -> f64 {
        match *self {
            TeacherForcingSchedule::Constant => start,
            TeacherForcingSchedule::Linear { steps } => {
                let left = 1.0 - step as f64 / steps.max(1) as f64;
                start * left.clamp(0.0, 1.0)
            }
        }
    }

    /// An `Error::Config` naming the setting when a linear decay has zero steps.
    pub fn validate(&self) -> Result<()> {
        match *self {
            TeacherForcingSchedule::Linear { steps: 0 } => Err(Error::Config(
                "teacher forcing decay steps 0 is out of range: it must be at least 1".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_keeps_the_ratio_and_linear_decays_to_zero() {
        let constant = TeacherForcingSchedule::Constant;
        assert_eq!(constant.ratio(0.5, 0), 0.5);
        assert_eq!(constant.ratio(0.5, 10_000), 0.5);
        let linear = TeacherForcingSchedule::Linear { steps: 100 };
        assert_eq!(linear.ratio(1.0, 0), 1.0);
        assert!((linear.ratio(1.0, 25) - 0.75).abs() < 1e-12);
        assert!((linear.ratio(0.8, 50) - 0.4).abs() < 1e-12);
        assert_eq!(linear.ratio(1.0, 100), 0.0);
        assert_eq!(linear.ratio(1.0, 1000), 0.0);
    }

    #[test]
    fn zero_decay_steps_are_a_config_error_naming_the_setting() {
        let err = TeacherForcingSchedule::Linear { steps: 0 }
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("decay steps"), "{err}");
        assert!(TeacherForcingSchedule::Linear { steps: 1 }
            .validate()
            .is_ok());
    }

    #[test]
    fn serialized_schedules_read_back() {
        for s in [
            TeacherForcingSchedule::Constant,
            TeacherForcingSchedule::Linear { steps: 300 },
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(
                serde_json::from_str::<TeacherForcingSchedule>(&json).unwrap(),
                s
            );
        }
    }

    #[test]
    fn a_run_saved_before_schedules_existed_keeps_its_ratio() {
        let spec = crate::problem::RunSpec::new("dates", crate::problem::ModelSpec::default());
        let mut json = serde_json::to_value(&spec).unwrap();
        json.as_object_mut()
            .unwrap()
            .remove("teacher_forcing_schedule");
        let read: crate::problem::RunSpec = serde_json::from_value(json).unwrap();
        assert_eq!(
            read.teacher_forcing_schedule,
            TeacherForcingSchedule::Constant
        );
        assert_eq!(read, spec);
    }
}
