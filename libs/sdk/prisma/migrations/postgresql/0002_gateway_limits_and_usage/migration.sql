-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "burst" INTEGER,
ADD COLUMN     "lastUsedAt" TIMESTAMP(3),
ADD COLUMN     "monthlyQuota" INTEGER,
ADD COLUMN     "rateLimitPerSec" DOUBLE PRECISION,
ADD COLUMN     "spendCapUsd" DOUBLE PRECISION;

-- CreateTable
CREATE TABLE "UsageRecord" (
    "id" TEXT NOT NULL,
    "batchId" TEXT NOT NULL,
    "keyId" TEXT,
    "modelId" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "computeOps" BIGINT NOT NULL DEFAULT 0,
    "latencyMs" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "costWei" DECIMAL(78,0) NOT NULL,
    "periodStart" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UsageRecord_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "UsageRecord_batchId_key" ON "UsageRecord"("batchId");

-- CreateIndex
CREATE INDEX "UsageRecord_keyId_periodStart_idx" ON "UsageRecord"("keyId", "periodStart");

-- AddForeignKey
ALTER TABLE "UsageRecord" ADD CONSTRAINT "UsageRecord_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
