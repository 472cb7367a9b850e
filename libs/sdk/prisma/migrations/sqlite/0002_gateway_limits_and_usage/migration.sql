-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "burst" INTEGER;
ALTER TABLE "ApiKey" ADD COLUMN "lastUsedAt" DATETIME;
ALTER TABLE "ApiKey" ADD COLUMN "monthlyQuota" INTEGER;
ALTER TABLE "ApiKey" ADD COLUMN "rateLimitPerSec" REAL;
ALTER TABLE "ApiKey" ADD COLUMN "spendCapUsd" REAL;

-- CreateTable
CREATE TABLE "UsageRecord" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "batchId" TEXT NOT NULL,
    "keyId" TEXT,
    "modelId" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "computeOps" BIGINT NOT NULL DEFAULT 0,
    "latencyMs" REAL NOT NULL DEFAULT 0,
    "costWei" TEXT NOT NULL,
    "periodStart" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "UsageRecord_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "ApiKey" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "UsageRecord_batchId_key" ON "UsageRecord"("batchId");

-- CreateIndex
CREATE INDEX "UsageRecord_keyId_periodStart_idx" ON "UsageRecord"("keyId", "periodStart");
