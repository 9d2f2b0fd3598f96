//! `privilege-escalation`: the published IAM privilege-escalation methods (Rhino Security Labs,
//! pathfinding.cloud, as listed by cloudsplaining and parliament), evaluated across statements,
//! after `Deny`, with wildcards expanded. A condition that does not constrain the target (for
//! example `aws:RequestedRegion`) does not clear a method. In resource policies: permissions
//! management of the resource itself granted to any principal.

use crate::catalog::AccessLevel;
use crate::checks::analysis::{is_constraining, is_wildcard_principal, Analysis};
use crate::engine::Ctx;
use crate::policy::{PolicyKind, PrincipalType};

use super::{join_limited, join_total, names};

/// How a method's actions must be granted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Every action on broad resources without a constraining condition.
    Broad,
    /// `iam:PassRole` on broad resources without `iam:PassedToService` (or another constraining
    /// condition); the companion actions granted without a constraining condition on any resource.
    PassRole,
    /// Target-dependent: only when every action is granted on `*` (low confidence).
    TargetDependent,
}

/// (method, pathfinding.cloud id, kind, actions).
const METHODS: &[(&str, &str, Kind, &[&str])] = &[
    ("CreateAccessKey", "iam-002", Kind::Broad, &["iam:CreateAccessKey"]),
    ("CreateLoginProfile", "iam-004", Kind::Broad, &["iam:CreateLoginProfile"]),
    ("UpdateLoginProfile", "iam-006", Kind::Broad, &["iam:UpdateLoginProfile"]),
    ("AddUserToGroup", "iam-013", Kind::Broad, &["iam:AddUserToGroup"]),
    ("CreateNewPolicyVersion", "iam-001", Kind::Broad, &["iam:CreatePolicyVersion"]),
    ("SetExistingDefaultPolicyVersion", "", Kind::Broad, &["iam:SetDefaultPolicyVersion"]),
    ("AttachUserPolicy", "iam-008", Kind::Broad, &["iam:AttachUserPolicy"]),
    ("AttachGroupPolicy", "iam-010", Kind::Broad, &["iam:AttachGroupPolicy"]),
    ("AttachRolePolicy", "iam-009", Kind::Broad, &["iam:AttachRolePolicy"]),
    ("PutUserPolicy", "iam-007", Kind::Broad, &["iam:PutUserPolicy"]),
    ("PutGroupPolicy", "iam-011", Kind::Broad, &["iam:PutGroupPolicy"]),
    ("PutRolePolicy", "iam-005", Kind::Broad, &["iam:PutRolePolicy"]),
    ("UpdateRolePolicyToAssumeIt", "iam-012", Kind::Broad, &["iam:UpdateAssumeRolePolicy"]),
    ("CreateEC2WithExistingIP", "ec2-001", Kind::PassRole, &["iam:PassRole", "ec2:RunInstances"]),
    (
        "PassExistingRoleToNewLambdaThenInvoke",
        "lambda-001",
        Kind::PassRole,
        &["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
    ),
    (
        "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
        "lambda-002",
        Kind::PassRole,
        &["iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
    ),
    (
        "PassExistingRoleToNewLambdaThenAddPermission",
        "lambda-006",
        Kind::PassRole,
        &["iam:PassRole", "lambda:CreateFunction", "lambda:AddPermission"],
    ),
    ("PassExistingRoleToNewGlueDevEndpoint", "glue-001", Kind::PassRole, &["iam:PassRole", "glue:CreateDevEndpoint"]),
    (
        "PassExistingRoleToCloudFormation",
        "cloudformation-001",
        Kind::PassRole,
        &["iam:PassRole", "cloudformation:CreateStack"],
    ),
    (
        "PassExistingRoleToNewDataPipeline",
        "datapipeline-001",
        Kind::PassRole,
        &["iam:PassRole", "datapipeline:CreatePipeline"],
    ),
    (
        "PassExistingRoleToNewAppRunnerService",
        "apprunner-001",
        Kind::PassRole,
        &["iam:PassRole", "apprunner:CreateService"],
    ),
    (
        "PassExistingRoleToNewBedrockCodeInterpreter",
        "bedrock-001",
        Kind::PassRole,
        &[
            "iam:PassRole",
            "bedrock-agentcore:CreateCodeInterpreter",
            "bedrock-agentcore:StartCodeInterpreterSession",
            "bedrock-agentcore:InvokeCodeInterpreter",
        ],
    ),
    (
        "PassExistingRoleToNewCloudFormationStackSet",
        "cloudformation-003",
        Kind::PassRole,
        &["iam:PassRole", "cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"],
    ),
    (
        "PassRoleToUpdateCloudFormationStackSet",
        "cloudformation-004",
        Kind::PassRole,
        &["iam:PassRole", "cloudformation:UpdateStackSet"],
    ),
    (
        "PassExistingRoleToNewCodeBuildProjectThenBuild",
        "codebuild-001",
        Kind::PassRole,
        &["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"],
    ),
    (
        "PassExistingRoleToNewCodeBuildProjectThenBuildBatch",
        "codebuild-004",
        Kind::PassRole,
        &["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuildBatch"],
    ),
    ("PassExistingRoleToNewEC2SpotInstance", "ec2-003", Kind::PassRole, &["iam:PassRole", "ec2:RequestSpotInstances"]),
    (
        "PassExistingRoleToNewECSClusterServiceTask",
        "ecs-001",
        Kind::PassRole,
        &["iam:PassRole", "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService"],
    ),
    (
        "PassExistingRoleToNewECSClusterRunTask",
        "ecs-002",
        Kind::PassRole,
        &["iam:PassRole", "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
    ),
    (
        "PassExistingRoleToNewECSService",
        "ecs-003",
        Kind::PassRole,
        &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:CreateService"],
    ),
    (
        "PassExistingRoleToNewECSTaskViaRunTask",
        "ecs-004",
        Kind::PassRole,
        &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
    ),
    (
        "PassExistingRoleToNewECSTaskViaStartTask",
        "ecs-005",
        Kind::PassRole,
        &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:StartTask"],
    ),
    (
        "PassExistingRoleToNewGlueJobThenRun",
        "glue-003",
        Kind::PassRole,
        &["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
    ),
    (
        "PassExistingRoleToNewGlueJobViaTrigger",
        "glue-004",
        Kind::PassRole,
        &["iam:PassRole", "glue:CreateJob", "glue:CreateTrigger"],
    ),
    (
        "PassExistingRoleToUpdatedGlueJobThenRun",
        "glue-005",
        Kind::PassRole,
        &["iam:PassRole", "glue:UpdateJob", "glue:StartJobRun"],
    ),
    (
        "PassExistingRoleToUpdatedGlueJobViaTrigger",
        "glue-006",
        Kind::PassRole,
        &["iam:PassRole", "glue:UpdateJob", "glue:CreateTrigger"],
    ),
    (
        "PassExistingRoleToNewSageMakerNotebookInstance",
        "sagemaker-001",
        Kind::PassRole,
        &["iam:PassRole", "sagemaker:CreateNotebookInstance"],
    ),
    (
        "PassExistingRoleToNewSageMakerTrainingJob",
        "sagemaker-002",
        Kind::PassRole,
        &["iam:PassRole", "sagemaker:CreateTrainingJob"],
    ),
    (
        "PassExistingRoleToNewSageMakerProcessingJob",
        "sagemaker-003",
        Kind::PassRole,
        &["iam:PassRole", "sagemaker:CreateProcessingJob"],
    ),
    ("UpdateExistingGlueDevEndpoint", "glue-002", Kind::Broad, &["glue:UpdateDevEndpoint"]),
    ("EditExistingLambdaFunctionWithRole", "lambda-003", Kind::Broad, &["lambda:UpdateFunctionCode"]),
    (
        "UpdateAndInvokeLambdaFunction",
        "lambda-004",
        Kind::Broad,
        &["lambda:UpdateFunctionCode", "lambda:InvokeFunction"],
    ),
    (
        "UpdateLambdaFunctionAndAddPermission",
        "lambda-005",
        Kind::Broad,
        &["lambda:UpdateFunctionCode", "lambda:AddPermission"],
    ),
    (
        "AccessExistingBedrockCodeInterpreterSession",
        "bedrock-002",
        Kind::Broad,
        &["bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"],
    ),
    (
        "ExecuteCloudFormationChangeSet",
        "cloudformation-005",
        Kind::Broad,
        &["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"],
    ),
    (
        "ModifyEC2InstanceUserDataThenRestart",
        "ec2-002",
        Kind::Broad,
        &["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
    ),
    (
        "ModifyExistingEC2LaunchTemplate",
        "ec2-004",
        Kind::Broad,
        &["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
    ),
    (
        "EC2InstanceConnectSendSSHPublicKey",
        "ec2instanceconnect-003",
        Kind::Broad,
        &["ec2-instance-connect:SendSSHPublicKey", "ec2:DescribeInstances"],
    ),
    ("ECSExecuteCommandOnRunningTask", "ecs-006", Kind::Broad, &["ecs:ExecuteCommand", "ecs:DescribeTasks"]),
    (
        "CreatePresignedSageMakerNotebookUrl",
        "sagemaker-004",
        Kind::Broad,
        &["sagemaker:CreatePresignedNotebookInstanceUrl"],
    ),
    (
        "UpdateSageMakerNotebookLifecycleConfig",
        "sagemaker-005",
        Kind::Broad,
        &[
            "sagemaker:CreateNotebookInstanceLifecycleConfig",
            "sagemaker:StopNotebookInstance",
            "sagemaker:UpdateNotebookInstance",
            "sagemaker:StartNotebookInstance",
        ],
    ),
    ("CreateAndRotateAccessKey", "iam-003", Kind::Broad, &["iam:CreateAccessKey", "iam:DeleteAccessKey"]),
    ("AttachUserPolicyThenCreateAccessKey", "iam-015", Kind::Broad, &["iam:AttachUserPolicy", "iam:CreateAccessKey"]),
    ("CreatePolicyVersionThenAssumeRole", "iam-016", Kind::Broad, &["iam:CreatePolicyVersion", "sts:AssumeRole"]),
    ("PutUserPolicyThenCreateAccessKey", "iam-018", Kind::Broad, &["iam:PutUserPolicy", "iam:CreateAccessKey"]),
    (
        "AttachRolePolicyThenUpdateAssumeRolePolicy",
        "iam-019",
        Kind::Broad,
        &["iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"],
    ),
    (
        "CreatePolicyVersionThenUpdateAssumeRolePolicy",
        "iam-020",
        Kind::Broad,
        &["iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy"],
    ),
    (
        "PutRolePolicyThenUpdateAssumeRolePolicy",
        "iam-021",
        Kind::Broad,
        &["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"],
    ),
    ("AssumeMorePrivilegedRole", "", Kind::TargetDependent, &["sts:AssumeRole"]),
    ("SendCommandToPrivilegedInstance", "", Kind::TargetDependent, &["ssm:SendCommand"]),
    ("StartSessionOnPrivilegedInstance", "", Kind::TargetDependent, &["ssm:StartSession"]),
    ("UpdateExistingCodeBuildProject", "", Kind::TargetDependent, &["codebuild:UpdateProject", "codebuild:StartBuild"]),
    ("UpdateExistingCloudFormationStack", "", Kind::TargetDependent, &["cloudformation:UpdateStack"]),
    ("UpdateExistingAppRunnerService", "", Kind::TargetDependent, &["apprunner:UpdateService"]),
];

/// Is `action` (full name) part of an escalation method or a credential-returning action?
pub(crate) fn is_sensitive(action: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        METHODS
            .iter()
            .flat_map(|m| m.3.iter())
            .chain(super::credentials_exposure::DEFAULT.iter())
            .map(|a| a.to_ascii_lowercase())
            .collect()
    })
    .contains(&action.to_ascii_lowercase())
}

/// The statement pointers through which `method` is available, or `None`.
fn method_holds(an: &Analysis, kind: Kind, actions: &[&str]) -> Option<Vec<String>> {
    let mut ptrs = Vec::new();
    for act in actions {
        let a = match kind {
            Kind::Broad | Kind::TargetDependent => an.unconstrained_broad(act)?,
            Kind::PassRole if act.eq_ignore_ascii_case("iam:PassRole") => an.unconstrained_broad(act)?,
            Kind::PassRole => an.grant_where(act, |a| !a.constrained())?,
        };
        if !ptrs.contains(&a.pointer) {
            ptrs.push(a.pointer.clone());
        }
    }
    Some(ptrs)
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    match ctx.policy.kind {
        PolicyKind::Identity => identity(ctx),
        k if k.is_resource_policy() => resource_policy(ctx),
        _ => {}
    }
}

fn identity(ctx: &mut Ctx<'_>) {
    let mut found: Vec<(String, &str, Kind, Vec<String>)> = Vec::new();
    {
        let an = ctx.analysis();
        for (name, _path, kind, actions) in METHODS {
            if let Some(ptrs) = method_holds(an, *kind, actions) {
                found.push((ptrs[0].clone(), name, *kind, ptrs));
            }
        }
    }
    if found.is_empty() {
        return;
    }
    // One finding per statement that carries a method's first action.
    let mut order: Vec<String> = Vec::new();
    for (p, ..) in &found {
        if !order.contains(p) {
            order.push(p.clone());
        }
    }
    for ptr in order {
        let here: Vec<&(String, &str, Kind, Vec<String>)> = found.iter().filter(|f| f.0 == ptr).collect();
        let confident: Vec<&&(String, &str, Kind, Vec<String>)> =
            here.iter().filter(|f| f.2 != Kind::TargetDependent).collect();
        let low_only = confident.is_empty();
        let describe = |f: &(String, &str, Kind, Vec<String>)| {
            let acts = METHODS.iter().find(|m| m.0 == f.1).map(|m| m.3.join(" + ")).unwrap_or_default();
            format!("{} ({acts})", f.1)
        };
        let listed: Vec<String> =
            here.iter().filter(|f| low_only || f.2 != Kind::TargetDependent).map(|f| describe(f)).collect();
        let label =
            ctx.policy.statements.iter().find(|s| s.pointer == ptr).map(|s| s.label()).unwrap_or_else(|| ptr.clone());
        let msg = if low_only {
            format!(
                "{label} allows actions on all resources that escalate privileges if a more privileged target exists (low confidence): {}",
                join_limited(&listed, 5)
            )
        } else {
            format!("{label} allows {} privilege-escalation method(s): {}", listed.len(), join_limited(&listed, 5))
        };
        let evidence: Vec<serde_json::Value> = here
            .iter()
            .map(|f| {
                let m = METHODS.iter().find(|m| m.0 == f.1);
                serde_json::json!({
                    "method": f.1,
                    "path": m.map(|m| m.1).filter(|p| !p.is_empty()).map(|p| format!("https://pathfinding.cloud/paths/{p}")),
                    "actions": m.map(|m| m.3.to_vec()).unwrap_or_default(),
                    "statements": f.3,
                    "confidence": if f.2 == Kind::TargetDependent { "low" } else { "high" },
                })
            })
            .collect();
        ctx.report(ptr, msg).evidence.insert("methods".into(), serde_json::Value::Array(evidence));
    }
}

/// Resource policies: permissions management of the resource granted to any principal.
fn resource_policy(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut hits: Vec<(String, String, Vec<String>, usize)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in &an.allows {
            let st = &ctx.policy.statements[a.index];
            let Some(p) = &st.principal else { continue };
            let broad = p.negated
                || p.is_public()
                || p.entries.iter().any(|e| e.kind == PrincipalType::Aws && is_wildcard_principal(&e.value));
            if !broad || st.conditions.iter().any(is_constraining) {
                continue;
            }
            let pm = an.expand_statement(catalog, a, Some(&[AccessLevel::PermissionsManagement]));
            if pm.is_empty() {
                continue;
            }
            let n = names(&pm);
            let total = pm.len();
            let msg = format!(
                "{} lets any principal change who can access this resource: {}",
                st.label(),
                join_total(&n, total, 6)
            );
            hits.push((a.action_pointer.clone(), msg, n, total));
        }
    }
    for (ptr, msg, n, total) in hits {
        super::add_actions(ctx.report(ptr, msg), "actions", &n, total);
    }
}
