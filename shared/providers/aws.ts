/**
 * Cluster API Provider AWS (CAPA v2): self-managed kubeadm clusters on EC2, and EKS. Both ship a
 * ClusterClass under deploy/clusterclasses/.
 */
import { adminKubeconfig, controlPlaneGroup, infrastructureGroup, type Provider } from './provider.ts';

/** Kubeadm control plane and workers on EC2 instances (AWSCluster). */
export const awsEc2: Provider = {
  name: 'aws-ec2',
  title: 'AWS EC2 (CAPA, kubeadm)',
  infrastructureKinds: [{ group: infrastructureGroup, kind: 'AWSCluster' }],
  clusterClasses: [{ name: 'aws-ec2', kustomization: 'deploy/clusterclasses/aws-ec2' }],
  controlPlaneReplicas: true,
  userKubeconfig: adminKubeconfig,
  // Not sshKeyName: a key pair on the control plane is root next to the cluster's CA keys.
  callerVariables: ['region', 'controlPlaneMachineType', 'workerMachineType', 'apiServerLoadBalancerScheme', 'additionalTags'],
};

/**
 * EKS: AWS runs the control plane (AWSManagedControlPlane). CAPA writes two kubeconfigs: `<cluster>-kubeconfig`
 * with a token minted by its own controller identity, and `<cluster>-user-kubeconfig`, whose exec plugin
 * mints short-lived IAM tokens from the user's own AWS identity — the one to hand to a person.
 */
export const awsEks: Provider = {
  name: 'aws-eks',
  title: 'Amazon EKS (CAPA)',
  // Note: before CAPA v1.x split them, the AWSManagedControlPlane was the infrastructure reference too.
  infrastructureKinds: [
    { group: infrastructureGroup, kind: 'AWSManagedCluster' },
    { group: controlPlaneGroup, kind: 'AWSManagedControlPlane' },
  ],
  controlPlaneKinds: [{ group: controlPlaneGroup, kind: 'AWSManagedControlPlane' }],
  clusterClasses: [{ name: 'aws-eks', kustomization: 'deploy/clusterclasses/aws-eks' }],
  controlPlaneReplicas: false,
  userKubeconfig: { secretSuffix: '-user-kubeconfig', credential: 'aws-iam-token' },
  // Not sshKeyName: a key pair on the workers is root next to their kubelet and instance-role credentials.
  callerVariables: ['region', 'workerMachineType', 'workerAMIType', 'upgradePolicy', 'additionalTags'],
};
