-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "quotaMonth" TEXT,
ADD COLUMN     "quotaUsed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "spentUsd" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "GatewayInstance" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GatewayInstance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GatewayReceipt" (
    "id" TEXT NOT NULL,
    "keyId" TEXT,
    "deploymentId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "replicaUrl" TEXT NOT NULL,
    "receipt" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GatewayReceipt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SpotCheck" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "primaryNode" TEXT NOT NULL,
    "primaryNetwork" TEXT NOT NULL,
    "checkNode" TEXT,
    "checkNetwork" TEXT,
    "outcome" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '',
    "disputeId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SpotCheck_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "GatewayInstance_heartbeatAt_idx" ON "GatewayInstance"("heartbeatAt");

-- CreateIndex
CREATE INDEX "GatewayReceipt_keyId_createdAt_idx" ON "GatewayReceipt"("keyId", "createdAt");

-- CreateIndex
CREATE INDEX "SpotCheck_deploymentId_createdAt_idx" ON "SpotCheck"("deploymentId", "createdAt");
